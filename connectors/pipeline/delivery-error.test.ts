import { describe, expect, it } from 'vitest';
import { SendError } from '../shared/errors.ts';
import { failureOf, windowFailure } from './delivery-error.ts';

describe('a failed send as a delivery error code', () => {
	it('is platform_unreachable with the tries made when a retryable failure gave up, the network sentence kept as detail', () => {
		const error = new SendError('retryable', 'network error calling 127.0.0.1:4010/v2/bot/message/push', { code: 'network' });
		expect(failureOf(error, error.message, 6)).toEqual({
			code: 'platform_unreachable',
			attempts: 6,
			platformCode: 'network',
			detail: 'network error calling 127.0.0.1:4010/v2/bot/message/push'
		});
	});

	it('names a refused token, an over-long text and a closed window by their own codes', () => {
		expect(failureOf(new SendError('permanent', 'Authentication failed', { status: 401 }), 'Authentication failed', 1).code).toBe('unauthorized');
		expect(failureOf(new SendError('permanent', 'token expired', { code: '190', status: 400 }), 'token expired', 1).code).toBe('unauthorized');
		expect(failureOf(new SendError('permanent', 'too long', { code: 'text_too_long' }), 'too long', 1).code).toBe('too_long');
		expect(failureOf(new SendError('permanent', 'closed', { code: 'window_closed' }), 'closed', 1).code).toBe('window_closed');
		expect(failureOf(new SendError('permanent', 'Bad request', { code: '100', status: 400 }), 'Bad request', 1)).toEqual({ code: 'platform_refused', platformCode: '100', detail: 'Bad request' });
	});

	it('is internal for our own unexpected error', () => {
		expect(failureOf(new TypeError('x is undefined'), 'unexpected error: x is undefined', 6)).toEqual({ code: 'internal', attempts: 6, detail: 'unexpected error: x is undefined' });
	});

	it('keeps when a reply window closed', () => {
		const closedAt = new Date('2026-03-03T03:00:00.000Z');
		expect(windowFailure({ ok: false, reason: 'window_closed', closedAt })).toEqual({ code: 'window_closed', closedAt: '2026-03-03T03:00:00.000Z' });
		expect(windowFailure({ ok: false, reason: 'no_customer_message' })).toEqual({ code: 'no_customer_message' });
	});
});

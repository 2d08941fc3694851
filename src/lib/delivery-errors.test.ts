import { describe, expect, it } from 'vitest';
import { deliveryErrorView, readDeliveryError, sameDeliveryError } from './delivery-errors';

describe('stored delivery errors', () => {
	it('reads a code object as written now, keeping only its known fields', () => {
		expect(readDeliveryError({ code: 'platform_unreachable', attempts: 6, detail: 'network error', extra: 1 })).toEqual({
			code: 'platform_unreachable',
			attempts: 6,
			detail: 'network error'
		});
	});

	it('reads an older sentence, or a code this version does not know, as an unknown reason with its detail', () => {
		expect(readDeliveryError('Gave up after 6 tries: network error')).toEqual({ code: 'unknown', detail: 'Gave up after 6 tries: network error' });
		expect(readDeliveryError({ code: 'from_the_future' })).toEqual({ code: 'unknown' });
		expect(readDeliveryError(null)).toBeNull();
	});

	it('compares two reasons by what they say, not by identity', () => {
		expect(sameDeliveryError({ code: 'window_closed', closedAt: 'x' }, { closedAt: 'x', code: 'window_closed' })).toBe(true);
		expect(sameDeliveryError({ code: 'window_closed' }, { code: 'disconnected' })).toBe(false);
		expect(sameDeliveryError(null, undefined)).toBe(true);
		expect(sameDeliveryError(null, { code: 'disconnected' })).toBe(false);
	});

	it('shows the API a stable code with its parameters apart', () => {
		expect(deliveryErrorView({ code: 'platform_unreachable', attempts: 6, detail: 'timed out' })).toEqual({
			deliveryError: 'platform_unreachable',
			deliveryErrorDetail: { attempts: 6, detail: 'timed out' }
		});
		expect(deliveryErrorView(null)).toEqual({ deliveryError: null, deliveryErrorDetail: null });
	});
});

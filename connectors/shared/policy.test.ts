import { describe, expect, it } from 'vitest';
import { assertSendableText, replyWindow } from './policy.ts';
import type { Capabilities } from '../types.ts';

const meta: Capabilities = {
	maxTextLength: 10,
	maxTextBytes: 12,
	replyWindowHours: 24,
	extendedReplyWindowHours: 168,
	attachments: true,
	echoes: true,
	orderLookup: [],
	ackWithinMs: 1000,
	refreshesTokens: false,
	authorizes: true,
	webhookTest: false
};
const now = new Date('2024-06-10T12:00:00Z');
const hoursAgo = (h: number) => new Date(now.getTime() - h * 3_600_000);

describe('reply window', () => {
	it('is standard up to the window, extended up to the tag window, then closed', () => {
		expect(replyWindow(meta, hoursAgo(24), now)).toEqual({ ok: true, mode: 'standard' });
		expect(replyWindow(meta, hoursAgo(24.01), now)).toEqual({ ok: true, mode: 'extended' });
		expect(replyWindow(meta, hoursAgo(168.01), now)).toEqual({ ok: false, reason: 'window_closed', closedAt: hoursAgo(0.01) });
	});

	it('is closed when the customer never wrote, unless the platform has no window', () => {
		expect(replyWindow(meta, null, now)).toEqual({ ok: false, reason: 'no_customer_message' });
		expect(replyWindow({ ...meta, replyWindowHours: null }, null, now)).toEqual({ ok: true, mode: 'standard' });
	});
});

describe('sendable text', () => {
	it('counts characters as code points, so an emoji is one', () => {
		expect(() => assertSendableText({ ...meta, maxTextBytes: undefined }, '🙏'.repeat(10))).not.toThrow();
		expect(() => assertSendableText({ ...meta, maxTextBytes: undefined }, '🙏'.repeat(11))).toThrow(/11 characters/);
	});

	it('also enforces a byte limit where the platform counts bytes (Thai is 3 bytes a letter)', () => {
		expect(() => assertSendableText(meta, 'กขคง')).not.toThrow();
		expect(() => assertSendableText(meta, 'กขคงจ')).toThrow(/15 UTF-8 bytes/);
	});

	it('rejects an empty or blank message', () => {
		expect(() => assertSendableText(meta, '  \n')).toThrow(expect.objectContaining({ code: 'empty_text' }));
	});
});

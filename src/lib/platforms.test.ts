import { describe, expect, it } from 'vitest';
import { checkText, countText, measureText, PLATFORM_FACTS, PLATFORMS, platformName, replyWindowState } from './platforms';

const HOUR = 3_600_000;
const last = Date.parse('2026-03-02T03:00:00.000Z');

describe('the platform facts', () => {
	it('has one entry per platform, under its own id, with a name and a positive text limit', () => {
		expect(Object.keys(PLATFORM_FACTS).sort()).toEqual([...PLATFORMS].sort());
		for (const platform of PLATFORMS) {
			const facts = PLATFORM_FACTS[platform];
			expect(facts.id).toBe(platform);
			expect(facts.name.length).toBeGreaterThan(0);
			expect(Number.isInteger(facts.maxTextLength) && facts.maxTextLength > 0).toBe(true);
			if (facts.extendedReplyWindowHours !== undefined) expect(facts.extendedReplyWindowHours).toBeGreaterThan(facts.replyWindowHours ?? 0);
		}
	});

	it('names a platform by its brand, and anything else by the fallback given', () => {
		expect(platformName('tiktok')).toBe('TikTok Shop');
		expect(platformName('facebook')).toBe('Messenger');
		expect(platformName('myspace', 'Unknown')).toBe('Unknown');
	});
});

describe('text limits', () => {
	it('counts code points and UTF-8 bytes: an emoji is one character, a Thai letter three bytes', () => {
		expect(measureText('🙏')).toEqual({ characters: 1, bytes: 4 });
		expect(measureText('สวัสดี')).toEqual({ characters: 6, bytes: 18 });
	});

	it('counts a 400-letter Thai reply on Instagram as 1,200 of 1,000 bytes, over the limit', () => {
		const count = countText(PLATFORM_FACTS.instagram, 'ก'.repeat(400));
		expect(count).toEqual({ unit: 'bytes', count: 1200, max: 1000, over: true });
		expect(checkText(PLATFORM_FACTS.instagram, 'ก'.repeat(400))).toEqual({ ok: false, reason: 'too_long', unit: 'bytes', count: 1200, max: 1000 });
	});

	it('shows characters for plain English on Instagram and on platforms without a byte limit', () => {
		expect(countText(PLATFORM_FACTS.instagram, 'a'.repeat(400))).toEqual({ unit: 'characters', count: 400, max: 1000, over: false });
		expect(countText(PLATFORM_FACTS.shopee, 'ก'.repeat(601))).toEqual({ unit: 'characters', count: 601, max: 600, over: true });
		expect(countText(PLATFORM_FACTS.line, 'ก'.repeat(4000))).toEqual({ unit: 'characters', count: 4000, max: 5000, over: false });
	});

	it('accepts a text exactly at the limit and refuses a blank one', () => {
		expect(checkText(PLATFORM_FACTS.instagram, 'ก'.repeat(333))).toEqual({ ok: true });
		expect(checkText(PLATFORM_FACTS.instagram, 'a'.repeat(1000))).toEqual({ ok: true });
		expect(checkText(PLATFORM_FACTS.instagram, 'a'.repeat(1001))).toMatchObject({ ok: false, reason: 'too_long', unit: 'characters' });
		expect(checkText(PLATFORM_FACTS.line, ' \n ')).toEqual({ ok: false, reason: 'empty' });
	});
});

describe('the reply window', () => {
	it('is open up to and including its last moment, then tagged, then closed (Messenger)', () => {
		const rules = PLATFORM_FACTS.facebook;
		expect(replyWindowState(rules, last, last + 24 * HOUR)).toEqual({ kind: 'open', closes: last + 24 * HOUR, hours: 24 });
		expect(replyWindowState(rules, new Date(last), new Date(last + 24 * HOUR + 1))).toMatchObject({ kind: 'extended', extendedHours: 168 });
		expect(replyWindowState(rules, new Date(last).toISOString(), last + 169 * HOUR)).toEqual({ kind: 'closed', closes: last + 168 * HOUR, hours: 168 });
	});

	it('has no window on LINE, and needs the customer to write first where there is one', () => {
		expect(replyWindowState(PLATFORM_FACTS.line, null, last)).toEqual({ kind: 'none' });
		expect(replyWindowState(PLATFORM_FACTS.shopee, null, last)).toEqual({ kind: 'no_customer' });
		expect(replyWindowState(PLATFORM_FACTS.shopee, last, last + 8 * 24 * HOUR)).toMatchObject({ kind: 'closed', hours: 168 });
	});
});

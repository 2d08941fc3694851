import { describe, expect, it } from 'vitest';
import { formatNumber, translator, type Locale } from '$lib/i18n';
import { checkText, PLATFORM_FACTS } from '$lib/platforms';
import { countLabel, draftCount, replyRulesFor } from './reply-rules';

const format = (locale: Locale) => ({ t: translator(locale), number: (n: number) => formatNumber(n, locale) });

describe('the composer’s count', () => {
	it('counts a 400-letter Thai reply on Instagram as over the limit, in bytes, as the server does', () => {
		const rules = replyRulesFor('instagram', false);
		const draft = 'ส'.repeat(400);
		const count = draftCount(rules, draft);
		expect(count.over).toBe(true);
		expect(countLabel(count, format('en'))).toBe('1,200 / 1,000 bytes (a Thai letter counts as 3)');
		expect(countLabel(count, format('th'))).toBe('1,200 / 1,000 ไบต์ (อักษรไทยนับเป็น 3 ไบต์)');
		// The server refuses exactly what the composer marks as over.
		expect(checkText(PLATFORM_FACTS.instagram, draft)).toMatchObject({ ok: false, reason: 'too_long' });
	});

	it('agrees with the server at the edge of every platform’s limits', () => {
		for (const platform of Object.keys(PLATFORM_FACTS) as (keyof typeof PLATFORM_FACTS)[]) {
			const rules = replyRulesFor(platform, false);
			for (const draft of ['a'.repeat(rules.maxTextLength), 'a'.repeat(rules.maxTextLength + 1), 'ก'.repeat(333), 'ก'.repeat(334), '🙏'.repeat(250), '🙏'.repeat(251)]) {
				expect(draftCount(rules, draft).over, `${platform}: ${draft.length}`).toBe(!checkText(PLATFORM_FACTS[platform], draft).ok);
			}
		}
	});

	it('shows characters for an English reply', () => {
		expect(countLabel(draftCount(replyRulesFor('instagram', false), 'Thank you!'), format('en'))).toBe('10 / 1,000 characters');
	});
});

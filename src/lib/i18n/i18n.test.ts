import { describe, expect, it } from 'vitest';
import { en } from './en.ts';
import { th } from './th.ts';
import { formatDate, formatDateTime, formatNumber, interpolate, isLocale, translator } from './index.ts';

const placeholders = (message: string) => [...message.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('the Thai catalog', () => {
	it('has every key of the English catalog and no other', () => {
		expect(Object.keys(th).sort()).toEqual(Object.keys(en).sort());
	});

	it('has no empty or untrimmed message in either language', () => {
		for (const catalog of [en, th]) {
			for (const [key, message] of Object.entries(catalog)) {
				expect(message.trim(), key).not.toBe('');
				expect(message, key).toBe(message.trim());
			}
		}
	});

	it('uses the same placeholders as English in every message', () => {
		for (const key of Object.keys(en) as (keyof typeof en)[]) {
			expect(placeholders(th[key]), key).toEqual(placeholders(en[key]));
		}
	});

	it('is actually written in Thai, not copied from English', () => {
		const thai = /[\u0E00-\u0E7F]/;
		const untranslated = (Object.keys(en) as (keyof typeof en)[]).filter((key) => !thai.test(th[key]) && key !== 'app.name');
		expect(untranslated).toEqual([]);
	});
});

describe('translator', () => {
	it('fills in named parameters', () => {
		expect(translator('en')('invite.intro', { workspace: 'Noi Shop', role: 'Agent' })).toBe(
			'You have been invited to join Noi Shop as Agent.'
		);
		expect(translator('th')('inbox.count', { count: 3 })).toBe('3 แชต');
	});

	it('returns the message in the requested language', () => {
		expect(translator('en')('login.title')).toBe('Log in');
		expect(translator('th')('login.title')).toBe('เข้าสู่ระบบ');
	});

	it('leaves an unknown placeholder visible instead of dropping it', () => {
		expect(interpolate('Hello {name}, {missing}', { name: 'Somchai' })).toBe('Hello Somchai, {missing}');
	});

	it('answers an unknown key with the key itself', () => {
		const t = translator('th') as (key: string) => string;
		expect(t('no.such.key')).toBe('no.such.key');
	});

	it('recognises only the supported locales', () => {
		expect(isLocale('th')).toBe(true);
		expect(isLocale('fr')).toBe(false);
		expect(isLocale(undefined)).toBe(false);
	});
});

describe('formatting', () => {
	// 2025-11-23 20:30 UTC is already 24 November, 03:30 in Bangkok.
	const instant = new Date('2025-11-23T20:30:00Z');

	it('shows dates in the workspace time zone, Asia/Bangkok by default', () => {
		expect(formatDate(instant, 'en')).toBe('24 Nov 2025');
		expect(formatDate(instant, 'en', 'UTC')).toBe('23 Nov 2025');
		expect(formatDateTime(instant, 'en')).toContain('03:30');
	});

	it('uses the Buddhist era and Thai month names in Thai', () => {
		const text = formatDate(instant, 'th');
		expect(text).toContain('2568');
		expect(text).toContain('พ.ย.');
	});

	it('falls back to Bangkok when the time zone is not valid', () => {
		expect(formatDate(instant, 'en', 'Not/AZone')).toBe('24 Nov 2025');
	});

	it('groups digits as each language does', () => {
		expect(formatNumber(1234567.5, 'en')).toBe('1,234,567.5');
		expect(formatNumber(1234567.5, 'th')).toBe('1,234,567.5');
		expect(formatNumber(0.25, 'en', { style: 'percent' })).toBe('25%');
	});
});

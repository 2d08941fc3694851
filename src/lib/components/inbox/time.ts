import type { I18n } from '$lib/state/i18n.svelte';

const INTL: Record<string, string> = { en: 'en-GB', th: 'th-TH' };

/** "14:05" today, "24 Nov" this year, "24 Nov 2024" before: in the workspace's time zone. */
export function shortTime(i18n: Pick<I18n, 'locale' | 'timeZone'>, value: string | Date, now = new Date()): string {
	const date = new Date(value);
	const locale = INTL[i18n.locale] ?? 'en-GB';
	const day = (d: Date) => new Intl.DateTimeFormat('en-CA', { timeZone: i18n.timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
	if (day(date) === day(now)) return new Intl.DateTimeFormat(locale, { timeZone: i18n.timeZone, hour: '2-digit', minute: '2-digit' }).format(date);
	const sameYear = day(date).slice(0, 4) === day(now).slice(0, 4);
	return new Intl.DateTimeFormat(locale, { timeZone: i18n.timeZone, day: 'numeric', month: 'short', ...(sameYear ? {} : { year: 'numeric' }) }).format(date);
}

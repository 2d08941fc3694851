import type { Locale } from './types.ts';

/** Where most of our sellers are; a workspace can choose another zone. */
export const DEFAULT_TIME_ZONE = 'Asia/Bangkok';

/** Thai uses the Buddhist calendar as Thai readers expect; English uses day-month-year and a 24-hour clock. */
const INTL_LOCALE: Record<Locale, string> = { en: 'en-GB', th: 'th-TH' };

export type DateInput = Date | string | number;

function toDate(value: DateInput): Date {
	return value instanceof Date ? value : new Date(value);
}

function validZone(timeZone: string | undefined): string {
	if (!timeZone) return DEFAULT_TIME_ZONE;
	try {
		new Intl.DateTimeFormat('en', { timeZone });
		return timeZone;
	} catch {
		return DEFAULT_TIME_ZONE;
	}
}

/** "24 Nov 2025" / "24 พ.ย. 2568" in the workspace's time zone. */
export function formatDate(value: DateInput, locale: Locale, timeZone?: string): string {
	return new Intl.DateTimeFormat(INTL_LOCALE[locale], { dateStyle: 'medium', timeZone: validZone(timeZone) }).format(toDate(value));
}

/** "24 Nov 2025, 14:05" / "24 พ.ย. 2568 14:05" in the workspace's time zone. */
export function formatDateTime(value: DateInput, locale: Locale, timeZone?: string): string {
	return new Intl.DateTimeFormat(INTL_LOCALE[locale], { dateStyle: 'medium', timeStyle: 'short', timeZone: validZone(timeZone) }).format(
		toDate(value)
	);
}

export function formatNumber(value: number, locale: Locale, options?: Intl.NumberFormatOptions): string {
	return new Intl.NumberFormat(INTL_LOCALE[locale], options).format(value);
}

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

/** The wall-clock fields of `at` in `timeZone`. */
function wallFields(at: Date, timeZone: string): { year: number; month: number; day: number; hour: number; minute: number; weekday: number } {
	const parts = new Intl.DateTimeFormat('en-US', {
		timeZone: validZone(timeZone),
		hourCycle: 'h23',
		year: 'numeric',
		month: '2-digit',
		day: '2-digit',
		hour: '2-digit',
		minute: '2-digit',
		weekday: 'short'
	}).formatToParts(at);
	const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
	const weekday = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'].indexOf(get('weekday'));
	return { year: Number(get('year')), month: Number(get('month')), day: Number(get('day')), hour: Number(get('hour')), minute: Number(get('minute')), weekday };
}

/** How far `timeZone` is ahead of UTC at `at`, in ms. */
function zoneOffset(at: Date, timeZone: string): number {
	const f = wallFields(at, timeZone);
	return Date.UTC(f.year, f.month - 1, f.day, f.hour, f.minute) - Math.floor(at.getTime() / 60_000) * 60_000;
}

/**
 * The instant a wall-clock time names in `timeZone` (a `datetime-local` value: "2026-12-01T09:00").
 * In a gap of a daylight-saving change it lands an hour later; `null` for anything else than such a value.
 */
export function zonedTimeToDate(wall: string, timeZone: string): Date | null {
	const match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})$/.exec(wall);
	if (!match) return null;
	const [, y, mo, d, h, mi] = match.map(Number);
	const asUtc = Date.UTC(y, mo - 1, d, h, mi);
	let at = new Date(asUtc - zoneOffset(new Date(asUtc), timeZone));
	at = new Date(asUtc - zoneOffset(at, timeZone)); // once more, across an offset change
	return Number.isNaN(at.getTime()) ? null : at;
}

/** `at` as a `datetime-local` value in `timeZone` ("2026-12-01T09:00"). */
export function dateToZonedTime(at: Date, timeZone: string): string {
	const f = wallFields(at, timeZone);
	const two = (n: number) => String(n).padStart(2, '0');
	return `${f.year}-${two(f.month)}-${two(f.day)}T${two(f.hour)}:${two(f.minute)}`;
}

/** The next `hour`:00 in `timeZone` that is `days` calendar days after `from`'s day there. */
export function zonedDayAt(from: Date, timeZone: string, days: number, hour: number): Date {
	const f = wallFields(from, timeZone);
	const day = new Date(Date.UTC(f.year, f.month - 1, f.day + days));
	const two = (n: number) => String(n).padStart(2, '0');
	return zonedTimeToDate(`${day.getUTCFullYear()}-${two(day.getUTCMonth() + 1)}-${two(day.getUTCDate())}T${two(hour)}:00`, timeZone)!;
}

/** Days from `from`'s day in `timeZone` to the next Monday there (1–7). */
export function daysToNextMonday(from: Date, timeZone: string): number {
	const { weekday } = wallFields(from, timeZone);
	return ((8 - weekday) % 7) || 7;
}

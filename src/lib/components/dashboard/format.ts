import type { Locale, Translate } from '$lib/i18n';
import { formatDate, formatNumber } from '$lib/i18n';

/**
 * How the dashboard writes durations and times. Durations are rounded to the unit a supervisor
 * reads at a glance: "45 s", "4 min", "1 h 20 min", "2 d 3 h" (and the same in Thai).
 */
export function formatDuration(seconds: number, t: Translate, locale: Locale): string {
	const n = (value: number) => formatNumber(value, locale);
	const s = Math.max(0, Math.round(seconds));
	if (s < 60) return t('dashboard.duration.seconds', { n: n(s) });
	const totalMinutes = Math.round(s / 60);
	if (totalMinutes < 60) return t('dashboard.duration.minutes', { n: n(totalMinutes) });
	const totalHours = Math.floor(totalMinutes / 60);
	if (totalHours < 24) {
		const m = totalMinutes % 60;
		return m === 0 ? t('dashboard.duration.hours', { h: n(totalHours) }) : t('dashboard.duration.hoursMinutes', { h: n(totalHours), m: n(m) });
	}
	const d = Math.floor(totalHours / 24);
	const h = totalHours % 24;
	return h === 0 ? t('dashboard.duration.days', { d: n(d) }) : t('dashboard.duration.daysHours', { d: n(d), h: n(h) });
}

const INTL_LOCALE: Record<Locale, string> = { en: 'en-GB', th: 'th-TH' };

/** "14:05:09" in the workspace's zone, for "Updated …". */
export function formatClock(value: Date | string, locale: Locale, timeZone: string): string {
	return new Intl.DateTimeFormat(INTL_LOCALE[locale], { hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23', timeZone }).format(new Date(value));
}

/** A chart bar's short label: the hour ("14") of today, or the day of the month ("24"). */
export function bucketTick(start: string, bucket: 'hour' | 'day', timeZone: string): string {
	const options: Intl.DateTimeFormatOptions = bucket === 'hour' ? { hour: '2-digit', hourCycle: 'h23', timeZone } : { day: 'numeric', timeZone };
	return new Intl.DateTimeFormat('en-GB', options).format(new Date(start));
}

/** A bucket in full, for the chart's data table: "14:00–15:00" or "24 Nov 2025". */
export function bucketName(start: string, bucket: 'hour' | 'day', locale: Locale, timeZone: string): string {
	if (bucket === 'day') return formatDate(start, locale, timeZone);
	const hour = Number(bucketTick(start, 'hour', timeZone));
	const pad = (h: number) => String(h % 24).padStart(2, '0');
	return `${pad(hour)}:00–${pad(hour + 1)}:00`;
}

import { describe, expect, it } from 'vitest';
import { dateToZonedTime, daysToNextMonday, zonedDayAt, zonedTimeToDate } from './format.ts';

/** Wall-clock times in the workspace's zone (snoozing "until tomorrow 9:00" means 9:00 there). */
describe('zoned wall-clock times', () => {
	it('reads a datetime-local value in the workspace zone, not the browser’s', () => {
		expect(zonedTimeToDate('2026-12-01T09:00', 'Asia/Bangkok')?.toISOString()).toBe('2026-12-01T02:00:00.000Z');
		expect(zonedTimeToDate('2026-12-01T09:00', 'Europe/London')?.toISOString()).toBe('2026-12-01T09:00:00.000Z');
		expect(zonedTimeToDate('2026-07-01T09:00', 'America/New_York')?.toISOString()).toBe('2026-07-01T13:00:00.000Z');
		expect(zonedTimeToDate('2026-12-01T09:00', 'America/New_York')?.toISOString()).toBe('2026-12-01T14:00:00.000Z');
	});

	it('refuses what is not a datetime-local value', () => {
		expect(zonedTimeToDate('tomorrow', 'Asia/Bangkok')).toBeNull();
		expect(zonedTimeToDate('2026-12-01 09:00', 'Asia/Bangkok')).toBeNull();
	});

	it('writes an instant back as the same wall-clock value', () => {
		const at = new Date('2026-11-30T18:30:00Z');
		expect(dateToZonedTime(at, 'Asia/Bangkok')).toBe('2026-12-01T01:30');
		expect(zonedTimeToDate(dateToZonedTime(at, 'Asia/Bangkok'), 'Asia/Bangkok')?.toISOString()).toBe(at.toISOString());
	});

	it('finds tomorrow 9:00 and next Monday 9:00 by the zone’s calendar', () => {
		// 23:30 on Sunday 29 November in Bangkok is still Sunday afternoon in UTC.
		const sundayNight = new Date('2026-11-29T16:30:00Z');
		expect(zonedDayAt(sundayNight, 'Asia/Bangkok', 1, 9).toISOString()).toBe('2026-11-30T02:00:00.000Z');
		expect(daysToNextMonday(sundayNight, 'Asia/Bangkok')).toBe(1);
		// Monday morning in Bangkok: next Monday is a week away.
		const monday = new Date('2026-11-30T01:00:00Z');
		expect(daysToNextMonday(monday, 'Asia/Bangkok')).toBe(7);
		expect(zonedDayAt(monday, 'Asia/Bangkok', daysToNextMonday(monday, 'Asia/Bangkok'), 9).toISOString()).toBe('2026-12-07T02:00:00.000Z');
	});
});

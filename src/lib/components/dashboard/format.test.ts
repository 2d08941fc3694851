import { describe, expect, it } from 'vitest';
import { translator } from '$lib/i18n';
import { bucketName, bucketTick, formatClock, formatDuration } from './format';

const en = (s: number) => formatDuration(s, translator('en'), 'en');
const th = (s: number) => formatDuration(s, translator('th'), 'th');

describe('dashboard durations', () => {
	it('reads as seconds, minutes, hours and minutes, then days and hours', () => {
		expect([0, 45, 59, 60, 240, 89 * 60].map(en)).toEqual(['0 s', '45 s', '59 s', '1 min', '4 min', '1 h 29 min']);
		expect([80 * 60, 2 * 3600, 26 * 3600, 48 * 3600 + 59].map(en)).toEqual(['1 h 20 min', '2 h', '1 d 2 h', '2 d']);
	});

	it('says the same in Thai', () => {
		expect(th(240)).toBe('4 นาที');
		expect(th(80 * 60)).toBe('1 ชม. 20 นาที');
		expect(th(30)).toBe('30 วินาที');
		expect(th(26 * 3600)).toBe('1 วัน 2 ชม.');
	});

	it('rounds to the nearest minute and groups large numbers', () => {
		expect(en(89)).toBe('1 min');
		expect(en(90)).toBe('2 min');
		expect(en(1500 * 86400)).toBe('1,500 d');
	});
});

describe('dashboard times', () => {
	// 23:30 UTC is 06:30 the next morning in Bangkok.
	const instant = '2026-03-09T23:30:05Z';

	it('shows the update time with seconds in the workspace’s zone', () => {
		expect(formatClock(instant, 'en', 'Asia/Bangkok')).toBe('06:30:05');
		expect(formatClock(instant, 'th', 'UTC')).toBe('23:30:05');
	});

	it('labels chart bars by the workspace’s hour or day', () => {
		expect(bucketTick(instant, 'hour', 'Asia/Bangkok')).toBe('06');
		expect(bucketTick(instant, 'day', 'Asia/Bangkok')).toBe('10');
		expect(bucketTick(instant, 'day', 'UTC')).toBe('9');
		expect(bucketName('2026-03-09T23:00:00Z', 'hour', 'en', 'Asia/Bangkok')).toBe('06:00–07:00');
		expect(bucketName('2026-03-09T17:00:00Z', 'day', 'en', 'Asia/Bangkok')).toBe('10 Mar 2026');
	});
});

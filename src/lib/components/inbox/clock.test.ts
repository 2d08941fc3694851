import { describe, expect, it } from 'vitest';
import { clockBadge } from './clock';

const due = '2026-03-10T20:00:00.000Z';
const at = (iso: string) => Date.parse(iso);

describe('the clock badge', () => {
	it('says nothing when nothing is owed', () => {
		expect(clockBadge('shopee', null, at('2026-03-10T08:00:00Z'))).toBeNull();
	});

	it('counts whole hours left, rounded down, and minutes in the last hour', () => {
		expect(clockBadge('shopee', due, at('2026-03-10T17:30:00Z'))).toMatchObject({ key: 'inbox.clock.dueHours', count: 2, urgent: false });
		expect(clockBadge('shopee', due, at('2026-03-10T18:30:00Z'))).toMatchObject({ key: 'inbox.clock.dueHours', count: 1, urgent: true });
		expect(clockBadge('shopee', due, at('2026-03-10T19:59:30Z'))).toMatchObject({ key: 'inbox.clock.dueMinutes', count: 1 });
		expect(clockBadge('lazada', due, at('2026-03-07T20:00:00Z'))).toMatchObject({ key: 'inbox.clock.dueDays', count: 3 });
	});

	it('says late at the deadline, and window closed for Meta', () => {
		expect(clockBadge('shopee', due, at(due))).toMatchObject({ key: 'inbox.clock.late', late: true });
		expect(clockBadge('facebook', due, at('2026-03-10T20:00:01Z'))).toMatchObject({ key: 'inbox.clock.windowClosed', late: true, window: true });
	});
});

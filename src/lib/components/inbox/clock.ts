import { clockRule } from '$lib/platforms';

/** What a row's clock badge says, from the list row's `dueAt` and the time it is now. */
export type ClockBadge =
	| { key: 'inbox.clock.dueMinutes' | 'inbox.clock.dueHours' | 'inbox.clock.dueDays'; count: number; late: false; urgent: boolean; window: boolean }
	| { key: 'inbox.clock.late' | 'inbox.clock.windowClosed'; late: true; urgent: true; window: boolean };

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** @returns null when nothing is owed. Rounds the time left down, so "due in 2 h" means at least 2 hours. */
export function clockBadge(platform: string, dueAt: string | null, now: number): ClockBadge | null {
	if (!dueAt) return null;
	const window = clockRule(platform)?.kind === 'window';
	const left = Date.parse(dueAt) - now;
	if (left <= 0) return { key: window ? 'inbox.clock.windowClosed' : 'inbox.clock.late', late: true, urgent: true, window };
	const urgent = left < 2 * HOUR;
	if (left < HOUR) return { key: 'inbox.clock.dueMinutes', count: Math.max(1, Math.floor(left / MINUTE)), late: false, urgent, window };
	if (left < 48 * HOUR) return { key: 'inbox.clock.dueHours', count: Math.floor(left / HOUR), late: false, urgent, window };
	return { key: 'inbox.clock.dueDays', count: Math.floor(left / (24 * HOUR)), late: false, urgent, window };
}

import { z } from 'zod';
import type { Queryable } from './db.ts';
import { transaction, type Pool } from './db.ts';
import type { WorkspaceScope } from './scope.ts';

/**
 * A workspace's weekly opening hours, in its own time zone (workspaces.time_zone): used by
 * auto-assignment's "within business hours only". A workspace with no hours set is always open; a
 * weekday without hours is closed. Weekdays are 0 Sunday … 6 Saturday, as PostgreSQL's `dow`.
 * Holidays (dates in the workspace's time zone) are closed whatever the weekday.
 */

export interface OpeningHours {
	weekday: number;
	/** "09:00" */
	opens: string;
	/** "18:00"; after `opens` on the same day. */
	closes: string;
}

const time = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time such as 09:00');

export const hoursInput = z
	.array(
		z
			.object({ weekday: z.coerce.number().int().min(0).max(6), opens: time, closes: time })
			.refine((h) => h.opens < h.closes, { message: 'closes after it opens', path: ['closes'] })
	)
	.max(7 * 4);

const day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date such as 2026-04-13').refine((d) => !Number.isNaN(Date.parse(`${d}T00:00:00Z`)) && new Date(`${d}T00:00:00Z`).toISOString().startsWith(d));

export const holidaysInput = z.array(day).max(366);

export async function getHolidays(db: Queryable, scope: WorkspaceScope): Promise<string[]> {
	scope.require('read');
	const { rows } = await db.query(`select to_char(day, 'YYYY-MM-DD') as day from business_holidays where workspace_id = $1 order by day`, [scope.workspaceId]);
	return rows.map((r) => r.day);
}

/** Replaces the holidays as a whole (owners and admins). */
export async function setHolidays(db: Pool, scope: WorkspaceScope, raw: unknown): Promise<string[]> {
	scope.require('manageWorkspace');
	const days = [...new Set(holidaysInput.parse(raw))].sort();
	await transaction(db, async (client) => {
		await client.query(`delete from business_holidays where workspace_id = $1`, [scope.workspaceId]);
		if (days.length) await client.query(`insert into business_holidays (workspace_id, day) select $1, unnest($2::date[])`, [scope.workspaceId, days]);
	});
	return days;
}

export async function getBusinessHours(db: Queryable, scope: WorkspaceScope): Promise<OpeningHours[]> {
	scope.require('read');
	const { rows } = await db.query(
		`select weekday, to_char(opens_at, 'HH24:MI') as opens, to_char(closes_at, 'HH24:MI') as closes
		   from business_hours where workspace_id = $1 order by weekday, opens_at`,
		[scope.workspaceId]
	);
	return rows.map((r) => ({ weekday: r.weekday, opens: r.opens, closes: r.closes }));
}

/** Replaces the week's hours as a whole (owners and admins). */
export async function setBusinessHours(db: Pool, scope: WorkspaceScope, raw: unknown): Promise<OpeningHours[]> {
	scope.require('manageWorkspace');
	const hours = hoursInput.parse(raw);
	await transaction(db, async (client) => {
		await client.query(`delete from business_hours where workspace_id = $1`, [scope.workspaceId]);
		for (const h of hours) {
			await client.query(`insert into business_hours (workspace_id, weekday, opens_at, closes_at) values ($1, $2, $3, $4)`, [
				scope.workspaceId,
				h.weekday,
				h.opens,
				h.closes
			]);
		}
	});
	return hours.sort((a, b) => a.weekday - b.weekday || (a.opens < b.opens ? -1 : 1));
}

/** Whether the workspace is open at `at`, by its hours and holidays in its time zone (no hours set: open but on holidays). */
export async function isOpenAt(db: Queryable, workspaceId: string, at: Date): Promise<boolean> {
	const { rows } = await db.query(
		`select not exists (
		          select 1 from business_holidays h where h.workspace_id = w.id and h.day = ($2::timestamptz at time zone w.time_zone)::date
		        )
		        and (not exists (select 1 from business_hours where workspace_id = w.id)
		        or exists (
		          select 1 from business_hours b
		           where b.workspace_id = w.id
		             and b.weekday = extract(dow from ($2::timestamptz at time zone w.time_zone))
		             and ($2::timestamptz at time zone w.time_zone)::time >= b.opens_at
		             and ($2::timestamptz at time zone w.time_zone)::time < b.closes_at
		        )) as open
		   from workspaces w where w.id = $1`,
		[workspaceId, at]
	);
	return rows[0]?.open ?? false;
}

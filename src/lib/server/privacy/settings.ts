import { z } from 'zod';
import type { Queryable } from '../db.ts';
import { audit } from '../audit.ts';
import type { WorkspaceScope } from '../scope.ts';
import { MAX_RETENTION_DAYS } from './retention.ts';

/** The workspace settings an owner or admin can change, retention among them (at most 12 months). */

function isTimeZone(value: string): boolean {
	try {
		new Intl.DateTimeFormat('en', { timeZone: value });
		return true;
	} catch {
		return false;
	}
}

export const workspaceSettingsInput = z
	.object({
		name: z.string().trim().min(1).max(120).optional(),
		timeZone: z.string().trim().min(1).max(64).refine(isTimeZone, 'must be an IANA time zone such as Asia/Bangkok').optional(),
		/** Days of conversation history kept. The privacy policy promises at most 12 months. */
		retentionDays: z.coerce.number().int().min(1).max(MAX_RETENTION_DAYS).optional()
	})
	.refine((v) => v.name !== undefined || v.timeZone !== undefined || v.retentionDays !== undefined, 'nothing to change');
export type WorkspaceSettingsInput = z.input<typeof workspaceSettingsInput>;

export interface WorkspaceSettings {
	id: string;
	name: string;
	timeZone: string;
	retentionDays: number;
	createdAt: string;
}

export async function getWorkspaceSettings(db: Queryable, scope: WorkspaceScope): Promise<WorkspaceSettings> {
	scope.require('read');
	const { rows } = await db.query(`select id, name, time_zone, retention_days, created_at from workspaces where id = $1`, [scope.workspaceId]);
	const r = rows[0];
	return { id: r.id, name: r.name, timeZone: r.time_zone, retentionDays: Math.min(r.retention_days, MAX_RETENTION_DAYS), createdAt: r.created_at.toISOString() };
}

export async function updateWorkspaceSettings(db: Queryable, scope: WorkspaceScope, raw: WorkspaceSettingsInput, ip?: string | null): Promise<WorkspaceSettings> {
	scope.require('manageWorkspace');
	const input = workspaceSettingsInput.parse(raw);
	const { rows } = await db.query(
		`update workspaces w set name = coalesce($2, w.name), time_zone = coalesce($3, w.time_zone), retention_days = coalesce($4, w.retention_days)
		   from workspaces old where w.id = $1 and old.id = w.id
		 returning w.id, w.name, w.time_zone, w.retention_days, w.created_at, old.retention_days as previous_retention`,
		[scope.workspaceId, input.name ?? null, input.timeZone ?? null, input.retentionDays ?? null]
	);
	const r = rows[0];
	await audit(db, {
		workspaceId: scope.workspaceId,
		actorId: scope.userId,
		action: 'workspace.settings_changed',
		targetType: 'workspace',
		targetId: scope.workspaceId,
		ip,
		meta: {
			fields: Object.keys(input),
			...(input.retentionDays !== undefined ? { retentionDays: { from: r.previous_retention, to: r.retention_days } } : {})
		}
	});
	return { id: r.id, name: r.name, timeZone: r.time_zone, retentionDays: r.retention_days, createdAt: r.created_at.toISOString() };
}

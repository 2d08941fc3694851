import { z } from 'zod';
import type { Queryable } from '../db.ts';
import { audit } from '../audit.ts';
import type { WorkspaceScope } from '../scope.ts';

/**
 * The workspace's audit log as its owners and admins read it (privacy policy §6: access is
 * "restricted and logged"). Reading it is itself written to it, before the page is read, so the
 * reader sees their own read at the top.
 */

export const auditQuery = z.object({
	/** Entries with an id below this one (the `nextCursor` of the previous page). */
	before: z.coerce.number().int().positive().optional(),
	/** @default 100 */
	limit: z.coerce.number().int().min(1).max(500).default(100)
});
export type AuditQuery = z.input<typeof auditQuery>;

export interface AuditLogEntry {
	id: number;
	action: string;
	actorId: string | null;
	/** The actor's current name; null for the system, an operator, or a deleted account. */
	actorName: string | null;
	targetType: string | null;
	targetId: string | null;
	ip: string | null;
	meta: Record<string, unknown>;
	createdAt: string;
}

export interface AuditLogPage {
	entries: AuditLogEntry[];
	/** Pass as `before` for the next page; null on the last one. */
	nextCursor: number | null;
}

export async function readAuditLog(db: Queryable, scope: WorkspaceScope, raw: AuditQuery = {}, ip?: string | null): Promise<AuditLogPage> {
	scope.require('manageWorkspace');
	const query = auditQuery.parse(raw);
	await audit(db, {
		workspaceId: scope.workspaceId,
		actorId: scope.userId,
		action: 'audit.read',
		targetType: 'workspace',
		targetId: scope.workspaceId,
		ip,
		meta: query.before ? { before: query.before } : {}
	});
	const { rows } = await db.query(
		`select a.id, a.action, a.actor_id, u.name as actor_name, a.target_type, a.target_id, a.ip, a.meta, a.created_at
		   from audit_log a left join users u on u.id = a.actor_id
		  where a.workspace_id = $1 and ($2::bigint is null or a.id < $2)
		  order by a.id desc limit $3`,
		[scope.workspaceId, query.before ?? null, query.limit + 1]
	);
	const more = rows.length > query.limit;
	const entries: AuditLogEntry[] = rows.slice(0, query.limit).map((r) => ({
		id: Number(r.id),
		action: r.action,
		actorId: r.actor_id,
		actorName: r.actor_name,
		targetType: r.target_type,
		targetId: r.target_id,
		ip: r.ip,
		meta: r.meta,
		createdAt: r.created_at.toISOString()
	}));
	return { entries, nextCursor: more ? entries.at(-1)!.id : null };
}

import type { Queryable } from './db.ts';

export interface AuditEntry {
	workspaceId?: string | null;
	actorId?: string | null;
	/** Dotted verb, e.g. `auth.login`, `member.role_changed`, `token.created`, `connection.deleted`. */
	action: string;
	targetType?: string;
	targetId?: string;
	ip?: string | null;
	/** Ids and enums only: never message text, passwords or tokens. */
	meta?: Record<string, unknown>;
}

/** Appends to the audit log (the table refuses updates and deletes). */
export async function audit(db: Queryable, entry: AuditEntry): Promise<void> {
	await db.query(
		`insert into audit_log (workspace_id, actor_id, action, target_type, target_id, ip, meta)
		 values ($1, $2, $3, $4, $5, $6, $7)`,
		[entry.workspaceId ?? null, entry.actorId ?? null, entry.action, entry.targetType ?? null, entry.targetId ?? null, entry.ip ?? null, entry.meta ?? {}]
	);
}

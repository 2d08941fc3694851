import { hostname, userInfo } from 'node:os';
import type { Queryable } from '../db.ts';
import { audit } from '../audit.ts';

/**
 * Operator access (privacy policy §6: "Access to production systems is restricted and logged").
 * Every command of scripts/admin.ts writes an `admin.<command>` entry with the operator's OS user
 * and host before it reads or changes anything; if that write fails, the command does not run.
 * An entry about one workspace carries its id, so the workspace's owners see it in their log,
 * except a deletion, which is kept outside the log it purges.
 */

export interface Operator {
	operator: string;
	host: string;
}

export function currentOperator(): Operator {
	let operator = process.env.SUDO_USER || process.env.USER || 'unknown';
	try {
		operator = process.env.SUDO_USER || userInfo().username;
	} catch {
		// No passwd entry (some containers): keep the environment's answer.
	}
	return { operator, host: hostname() };
}

export interface AdminEntry {
	command: string;
	/** The workspace the command reads or changes, if one. */
	workspaceId?: string | null;
	/** Keep it to ids and flags. */
	args?: Record<string, unknown>;
	/** Write the entry outside the workspace's log (it is about to be purged). */
	detached?: boolean;
}

export async function logAdminAccess(db: Queryable, entry: AdminEntry, who: Operator = currentOperator()): Promise<void> {
	await audit(db, {
		workspaceId: entry.detached ? null : (entry.workspaceId ?? null),
		actorId: null,
		action: `admin.${entry.command.replace(/[^a-z0-9_]+/gi, '_')}`,
		targetType: entry.workspaceId ? 'workspace' : undefined,
		targetId: entry.workspaceId ?? undefined,
		meta: { ...who, ...(entry.args ?? {}) }
	});
}

export interface OperatorWorkspace {
	id: string;
	name: string;
	members: number;
	connections: number;
	retentionDays: number;
	createdAt: Date;
	deletionRequestedAt: Date | null;
}

/** What an operator may see of the workspaces: names and counts, never their content. */
export async function listWorkspacesForOperator(db: Queryable): Promise<OperatorWorkspace[]> {
	const { rows } = await db.query(
		`select w.id, w.name, w.retention_days, w.created_at, w.deletion_requested_at,
		        (select count(*)::int from memberships m where m.workspace_id = w.id) as members,
		        (select count(*)::int from platform_connections c where c.workspace_id = w.id and c.status = 'active') as connections
		   from workspaces w order by w.created_at`
	);
	return rows.map((r) => ({
		id: r.id,
		name: r.name,
		members: r.members,
		connections: r.connections,
		retentionDays: r.retention_days,
		createdAt: r.created_at,
		deletionRequestedAt: r.deletion_requested_at
	}));
}

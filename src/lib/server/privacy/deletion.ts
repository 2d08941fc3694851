import type pg from 'pg';
import { transaction, type Queryable } from '../db.ts';
import { audit } from '../audit.ts';
import { accessChanged } from '../access-changes.ts';
import { verifyPassword } from '../auth/password.ts';
import type { Principal } from '../auth/principal.ts';
import { disconnectConnection, type ConnectionContext } from '../connections.ts';
import { AccountError } from '../accounts.ts';
import { scopeFor, type WorkspaceScope } from '../scope.ts';
import { errorMessage, logger } from '../log.ts';
import { DomainError } from '../errors.ts';

/**
 * Deleting a workspace and deleting an account (privacy policy §5 and §7: "Upon account deletion,
 * all data is removed within 30 days", "Platform tokens are immediately revoked").
 *
 * A deletion happens in two steps. Closing is immediate: every platform connection is
 * disconnected (credentials deleted, token revoked on the platform) through the pipeline's own
 * `disconnectConnection`, nobody can reach the workspace any more (memberships, invitations and
 * API tokens gone, sessions unbound) and `deletion_requested_at` is set. Purging deletes every
 * row that carries the workspace's id, then its audit log; the privacy job runs it at once and
 * retries every hour, so 30 days is only the upper bound.
 */

const log = logger('privacy');

/** Purges that are still pending this long after the request are logged as errors. */
export const PURGE_DEADLINE_DAYS = 30;

const DELETION_REFUSAL_STATUS = { name_mismatch: 400, sole_owner: 409, session_required: 403, not_requested: 409 } as const;

export class DeletionError extends DomainError<keyof typeof DELETION_REFUSAL_STATUS> {
	readonly reason: 'name_mismatch' | 'sole_owner' | 'session_required' | 'not_requested';
	/** For `sole_owner`: the workspaces that other members would be left in without an owner. */
	readonly workspaces: { id: string; name: string }[];
	constructor(reason: DeletionError['reason'], message: string, workspaces: { id: string; name: string }[] = []) {
		super(DELETION_REFUSAL_STATUS[reason], reason, message, workspaces.length ? { details: { workspaces } } : {});
		this.name = 'DeletionError';
		this.reason = reason;
		this.workspaces = workspaces;
	}
}

/** What closing a workspace needs: the connection context (to disconnect and revoke). */
export type DeletionContext = ConnectionContext;

/**
 * Closes a workspace for deletion after the owner re-typed its name. Returns once nothing of it
 * is reachable and no platform token is left; call `purgeWorkspace` (or let the job) for the rest.
 */
export async function requestWorkspaceDeletion(ctx: DeletionContext, scope: WorkspaceScope, confirmName: string): Promise<void> {
	scope.require('ownWorkspace');
	const { rows } = await ctx.db.query<{ name: string }>('select name from workspaces where id = $1', [scope.workspaceId]);
	if (!rows[0] || rows[0].name.trim() !== confirmName.trim()) {
		throw new DeletionError('name_mismatch', 'Type the workspace name exactly to confirm');
	}
	await closeWorkspace(ctx, scope, 'owner');
}

/** Disconnects every connection, then makes the workspace unreachable and marks it for purging. */
async function closeWorkspace(ctx: DeletionContext, scope: WorkspaceScope, by: 'owner' | 'account_deletion' | 'operator'): Promise<void> {
	await disconnectAll(ctx, scope);
	await transaction(ctx.db, async (tx) => {
		await tx.query('update workspaces set deletion_requested_at = coalesce(deletion_requested_at, now()) where id = $1', [scope.workspaceId]);
		await tx.query('update sessions set workspace_id = null where workspace_id = $1', [scope.workspaceId]);
		await tx.query('delete from api_tokens where workspace_id = $1', [scope.workspaceId]);
		await tx.query('delete from invitations where workspace_id = $1', [scope.workspaceId]);
		await tx.query('delete from memberships where workspace_id = $1', [scope.workspaceId]);
		// Kept outside the workspace's own log (which is purged with it): the proof it was asked for.
		await audit(tx, {
			workspaceId: null,
			// Only the owner's own request names them: the account deletion and the operator are recorded apart.
			actorId: by === 'owner' ? scope.userId : null,
			action: 'workspace.deletion_requested',
			targetType: 'workspace',
			targetId: scope.workspaceId,
			ip: ctx.ip,
			meta: { by }
		});
	});
	accessChanged({ type: 'workspace', workspaceId: scope.workspaceId });
	log.info('workspace_closed', { workspace_id: scope.workspaceId, by });
}

/** Every connection that is active or still holds credentials, through the pipeline's disconnect. */
async function disconnectAll(ctx: DeletionContext, scope: WorkspaceScope): Promise<void> {
	const { rows } = await ctx.db.query<{ id: string }>(
		`select c.id from platform_connections c
		  where c.workspace_id = $1 and (c.status = 'active' or exists (select 1 from platform_credentials p where p.connection_id = c.id))`,
		[scope.workspaceId]
	);
	for (const { id } of rows) {
		try {
			await disconnectConnection(ctx, scope, id);
		} catch (error) {
			// The purge deletes the credentials in any case; only the platform-side revoke is lost.
			log.error('disconnect_failed', { workspace_id: scope.workspaceId, connection_id: id, error: errorMessage(error) });
		}
	}
}

/**
 * An operator's deletion (scripts/admin.ts): acts with the scope of one of the workspace's
 * owners, since disconnecting needs a member's scope; the operator's own record is the
 * `admin.delete_workspace` entry written before.
 */
export async function closeWorkspaceAsOperator(ctx: DeletionContext, workspaceId: string): Promise<void> {
	const { rows } = await ctx.db.query<{ user_id: string; email: string; name: string; locale: 'en' | 'th' }>(
		`select m.user_id, u.email, u.name, u.locale from memberships m join users u on u.id = m.user_id
		  where m.workspace_id = $1 and m.role = 'owner' order by m.created_at limit 1`,
		[workspaceId]
	);
	const owner = rows[0];
	if (!owner) {
		// Already closed (or ownerless): mark it so the purge picks it up.
		await ctx.db.query('update workspaces set deletion_requested_at = coalesce(deletion_requested_at, now()) where id = $1', [workspaceId]);
		return;
	}
	const principal: Principal = {
		kind: 'session',
		userId: owner.user_id,
		email: owner.email,
		name: owner.name,
		locale: owner.locale,
		credentialId: 'operator',
		workspaceId
	};
	await closeWorkspace(ctx, await scopeFor(ctx.db, principal, workspaceId), 'operator');
}

export interface PurgeResult {
	workspaceId: string;
	/** Rows deleted per table. */
	tables: Record<string, number>;
	auditRows: number;
}

/** Every table of the current schema with a `workspace_id` column, the big leaf tables first. */
export async function workspaceTables(db: Queryable): Promise<string[]> {
	const { rows } = await db.query<{ table_name: string }>(
		`select c.table_name from information_schema.columns c
		   join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
		  where c.table_schema = current_schema() and c.column_name = 'workspace_id' and t.table_type = 'BASE TABLE'
		  order by c.table_name`
	);
	const first = ['messages', 'inbound_events', 'outbox', 'notes', 'conversation_events', 'assignments', 'notifications', 'collab_documents', 'orders'];
	const names = rows.map((r) => r.table_name);
	return [...first.filter((t) => names.includes(t)), ...names.filter((t) => !first.includes(t))];
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

/**
 * Deletes everything of a workspace whose deletion was requested: every row of every table with a
 * `workspace_id` (found in the catalog, so tables added later are covered), in batches; sessions
 * are only unbound; then the workspace row, then its audit log. Idempotent: a crash half-way is
 * finished by the next run.
 */
export async function purgeWorkspace(db: pg.Pool | pg.PoolClient, workspaceId: string, options: { batchSize?: number } = {}): Promise<PurgeResult> {
	const batch = options.batchSize ?? 5000;
	const { rows } = await db.query<{ deletion_requested_at: Date | null }>('select deletion_requested_at from workspaces where id = $1', [workspaceId]);
	if (rows[0] && !rows[0].deletion_requested_at) throw new DeletionError('not_requested', 'This workspace has not been marked for deletion');
	const result: PurgeResult = { workspaceId, tables: {}, auditRows: 0 };
	await db.query('update sessions set workspace_id = null where workspace_id = $1', [workspaceId]);
	let pending = (await workspaceTables(db)).filter((t) => t !== 'audit_log' && t !== 'sessions');
	// A table whose rows another table still points at (without a cascade) waits for the next pass.
	for (let pass = 0; pending.length && pass < 5; pass++) {
		const blocked: string[] = [];
		for (const table of pending) {
			try {
				let total = 0;
				for (;;) {
					const { rowCount } = await db.query(
						`delete from ${quoteIdent(table)} where ctid = any(array(select ctid from ${quoteIdent(table)} where workspace_id = $1 limit $2))`,
						[workspaceId, batch]
					);
					total += rowCount ?? 0;
					if ((rowCount ?? 0) < batch) break;
				}
				if (total) result.tables[table] = (result.tables[table] ?? 0) + total;
			} catch (error) {
				if ((error as { code?: string }).code !== '23503') throw error;
				blocked.push(table);
			}
		}
		pending = blocked;
	}
	if (pending.length) throw new Error(`could not purge tables ${pending.join(', ')}: other rows still point at them`);
	const deleted = await db.query('delete from workspaces where id = $1', [workspaceId]);
	if (deleted.rowCount) result.tables.workspaces = deleted.rowCount;
	result.auditRows = await purgeAuditRows(db, 'workspace_id = $1', [workspaceId]);
	await audit(db, { action: 'workspace.purged', targetType: 'workspace', targetId: workspaceId, meta: { rows: result.tables, auditRows: result.auditRows } });
	log.info('workspace_purged', { workspace_id: workspaceId, audit_rows: result.auditRows });
	return result;
}

/** Deletes audit rows matching `where`; the table's trigger allows it only with chatmai.audit_purge on. */
async function purgeAuditRows(db: pg.Pool | pg.PoolClient, where: string, values: unknown[]): Promise<number> {
	const client = isPool(db) ? await db.connect() : db;
	try {
		await client.query('begin');
		await client.query(`set local chatmai.audit_purge = 'on'`);
		const { rowCount } = await client.query(`delete from audit_log where ${where}`, values);
		await client.query('commit');
		return rowCount ?? 0;
	} catch (error) {
		await client.query('rollback').catch(() => {});
		throw error;
	} finally {
		if (client !== db) (client as pg.PoolClient).release();
	}
}

function isPool(db: pg.Pool | pg.PoolClient): db is pg.Pool {
	return 'totalCount' in db;
}

/** Workspaces marked for deletion, oldest request first. */
export async function pendingWorkspacePurges(db: Queryable): Promise<{ id: string; requestedAt: Date }[]> {
	const { rows } = await db.query<{ id: string; deletion_requested_at: Date }>(
		'select id, deletion_requested_at from workspaces where deletion_requested_at is not null order by deletion_requested_at'
	);
	return rows.map((r) => ({ id: r.id, requestedAt: r.deletion_requested_at }));
}

/** Purges every pending workspace; one failure is logged (as overdue past the deadline) and the rest go on. */
export async function purgePendingWorkspaces(db: pg.Pool | pg.PoolClient): Promise<PurgeResult[]> {
	const done: PurgeResult[] = [];
	for (const pending of await pendingWorkspacePurges(db)) {
		try {
			done.push(await purgeWorkspace(db, pending.id));
		} catch (error) {
			const ageDays = Math.floor((Date.now() - pending.requestedAt.getTime()) / 86_400_000);
			const fields = { workspace_id: pending.id, age_days: ageDays, error: errorMessage(error) };
			if (ageDays >= PURGE_DEADLINE_DAYS - 3) log.error('workspace_purge_overdue', fields);
			else log.warn('workspace_purge_failed', fields);
		}
	}
	return done;
}

// ---- Accounts --------------------------------------------------------------------------------

/**
 * Deletes the signed-in user's account after re-checking the password. Refused while they are the
 * only owner of a workspace that has other members (transfer ownership or delete it first).
 * Workspaces where they are the only member are closed for deletion with them. Their sessions,
 * API tokens, memberships, notifications and their own sign-in records go; what they wrote for a
 * team (notes, replies, assignments) stays with the team, its author set to null.
 * Returns the ids of the workspaces closed (purge them, or let the job).
 */
export async function deleteAccount(ctx: DeletionContext, principal: Principal, password: string): Promise<{ closedWorkspaces: string[] }> {
	if (principal.kind !== 'session') throw new DeletionError('session_required', 'Sign in with your password to delete your account');
	const { rows: users } = await ctx.db.query<{ password_hash: string }>('select password_hash from users where id = $1', [principal.userId]);
	if (!users[0] || !(await verifyPassword(users[0].password_hash, password))) {
		await audit(ctx.db, { actorId: principal.userId, action: 'account.delete_refused', targetType: 'user', targetId: principal.userId, ip: ctx.ip, meta: { reason: 'password' } });
		throw new AccountError('invalid_credentials', 'password');
	}
	const { rows } = await ctx.db.query<{ workspace_id: string; name: string; role: string; owners: number; members: number }>(
		`select m.workspace_id, w.name, m.role,
		        (select count(*)::int from memberships o where o.workspace_id = m.workspace_id and o.role = 'owner') as owners,
		        (select count(*)::int from memberships o where o.workspace_id = m.workspace_id) as members
		   from memberships m join workspaces w on w.id = m.workspace_id
		  where m.user_id = $1 order by w.name`,
		[principal.userId]
	);
	const stranded = rows.filter((r) => r.role === 'owner' && r.owners === 1 && r.members > 1);
	if (stranded.length) {
		throw new DeletionError(
			'sole_owner',
			'You are the only owner of a workspace with other members: make someone else owner, or delete the workspace, first',
			stranded.map((r) => ({ id: r.workspace_id, name: r.name }))
		);
	}
	const alone = rows.filter((r) => r.members === 1).map((r) => r.workspace_id);
	for (const workspaceId of alone) {
		await closeWorkspace(ctx, await scopeFor(ctx.db, principal, workspaceId), 'account_deletion');
	}
	const remaining = rows.filter((r) => r.members > 1).map((r) => r.workspace_id);
	await transaction(ctx.db, async (tx) => {
		for (const workspaceId of remaining) {
			await audit(tx, { workspaceId, action: 'member.account_deleted', targetType: 'user', targetId: principal.userId });
		}
		await tx.query('delete from sessions where user_id = $1', [principal.userId]);
		await tx.query('delete from api_tokens where user_id = $1', [principal.userId]);
		await tx.query('delete from memberships where user_id = $1', [principal.userId]);
		await tx.query('delete from users where id = $1', [principal.userId]);
		// Their own sign-in trail (with IP addresses) belongs to no workspace and goes with them.
		await tx.query(`set local chatmai.audit_purge = 'on'`);
		await tx.query('delete from audit_log where workspace_id is null and actor_id = $1', [principal.userId]);
		await tx.query(`set local chatmai.audit_purge = 'off'`);
		await audit(tx, { action: 'account.deleted', targetType: 'user', targetId: principal.userId, meta: { closedWorkspaces: alone.length } });
	});
	accessChanged({ type: 'user', userId: principal.userId });
	log.info('account_deleted', { user_id: principal.userId, closed_workspaces: alone.length });
	return { closedWorkspaces: alone };
}

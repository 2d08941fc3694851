import type { Queryable } from '../db.ts';
import { transaction } from '../db.ts';
import { isStatus, isUuid, type ConversationStatus } from '../../conversation-doc.ts';
import type { LiveDocuments, LiveOrigin } from '../ports.ts';
import { errorMessage, logger } from '../log.ts';
import { conversationsChanged, notificationsCreated } from '../workspace-feed.ts';
import { CommandRefused, actorId, mirror, notFound, workspaceOf, type Actor, type CommandDeps, type CommandOptions } from './actor.ts';

/**
 * Conversation status: the one place `conversations.status` and `snoozed_until` change, with a
 * `conversation_events` row saying who (or which system reason) and from what. A member needs
 * `converse`; supervisors are refused. Once committed, the list row is pushed on the workspace feed.
 */

export interface StatusInput {
	status: unknown;
	/** ISO 8601; required (and only kept) when `status` is `snoozed`. */
	snoozedUntil?: unknown;
}

export interface StatusResult {
	status: ConversationStatus;
	snoozedUntil: string | null;
	/** False when the conversation already had this status (nothing was written). */
	changed: boolean;
}

/** The status as stored, for an answer or to correct a document. */
export async function readStatus(db: Queryable, workspaceId: string, conversationId: string): Promise<Omit<StatusResult, 'changed'> | null> {
	if (!isUuid(conversationId)) return null;
	const { rows } = await db.query<{ status: ConversationStatus; snoozed_until: Date | null }>(
		'select status, snoozed_until from conversations where id = $1 and workspace_id = $2',
		[conversationId, workspaceId]
	);
	return rows[0] ? { status: rows[0].status, snoozedUntil: rows[0].snoozed_until?.toISOString() ?? null } : null;
}

/** Sets a conversation's status (open, pending, resolved, or snoozed until a time). */
export async function setStatus(deps: CommandDeps, actor: Actor, conversationId: string, input: StatusInput, options: CommandOptions = {}): Promise<StatusResult> {
	if (actor.type === 'user') actor.scope.require('converse');
	if (!isUuid(conversationId)) throw notFound();
	const { status, snoozedUntil } = input;
	if (!isStatus(status)) throw new CommandRefused('invalid_input', 'Status must be open, pending, snoozed or resolved', 'status');
	const until = typeof snoozedUntil === 'string' && !Number.isNaN(Date.parse(snoozedUntil)) ? new Date(snoozedUntil) : null;
	if ((snoozedUntil !== undefined && snoozedUntil !== null && until === null) || (status === 'snoozed' && until === null)) {
		throw new CommandRefused('invalid_input', 'A snoozed conversation needs a valid time to reopen', 'snoozedUntil');
	}
	const workspaceId = workspaceOf(actor);
	const nextUntil = status === 'snoozed' ? until : null;
	const changed = await transaction(deps.db, async (client) => {
		const { rows } = await client.query<{ status: string; snoozed_until: Date | null }>(
			'select status, snoozed_until from conversations where id = $1 and workspace_id = $2 for update',
			[conversationId, workspaceId]
		);
		const row = rows[0];
		if (!row) throw notFound();
		if (row.status === status && row.snoozed_until?.getTime() === nextUntil?.getTime()) return false;
		await client.query('update conversations set status = $3, snoozed_until = $4, updated_at = now() where id = $1 and workspace_id = $2', [
			conversationId,
			workspaceId,
			status,
			nextUntil
		]);
		const data = { from: row.status, to: status, snoozedUntil: nextUntil?.toISOString() ?? null, ...(actor.type === 'system' ? { reason: actor.reason } : {}) };
		await client.query(`insert into conversation_events (workspace_id, conversation_id, actor_id, kind, data) values ($1, $2, $3, 'status', $4)`, [
			workspaceId,
			conversationId,
			actorId(actor),
			JSON.stringify(data)
		]);
		return true;
	});
	const result = { status, snoozedUntil: nextUntil?.toISOString() ?? null, changed };
	if (changed) {
		conversationsChanged([{ workspaceId, conversationId }]);
		await mirror(actor, conversationId, options, (origin) => deps.live.setMeta(workspaceId, conversationId, { status, snoozedUntil: result.snoozedUntil }, origin), 'status');
	}
	return result;
}

/** A customer's new message reopens a conversation that was resolved or snoozed. */
export function reopensOnCustomerMessage(status: string): boolean {
	return status === 'resolved' || status === 'snoozed';
}

/** A conversation the system reopens, with the status it had. */
export interface Reopening {
	workspaceId: string;
	conversationId: string;
	from: string;
}

/** A member a reopening notified (the assignee of a conversation whose snooze ended). */
export interface ReopenNotified {
	workspaceId: string;
	userId: string;
}

/**
 * The system's batch form of `setStatus(open)`, inside the caller's transaction (the ingest
 * worker's batch, the snooze sweep's claim): the rows must already be locked by the caller. The
 * reason is stored in each history row; when a snooze ended, the assignee is notified (returned,
 * for `mirrorReopened` to push once committed).
 */
export async function reopenConversations(client: Queryable, reopenings: readonly Reopening[], reason: 'customer_message' | 'snooze_ended'): Promise<ReopenNotified[]> {
	if (reopenings.length === 0) return [];
	const ids = reopenings.map((r) => r.conversationId);
	const workspaces = reopenings.map((r) => r.workspaceId);
	await client.query(
		`update conversations conversation set status = 'open', snoozed_until = null, updated_at = now()
		   from unnest($1::uuid[], $2::uuid[]) as reopening (id, workspace_id)
		  where conversation.id = reopening.id and conversation.workspace_id = reopening.workspace_id`,
		[ids, workspaces]
	);
	await client.query(
		`insert into conversation_events (workspace_id, conversation_id, actor_id, kind, data)
		 select workspace_id, id, null, 'status', jsonb_build_object('from', previous, 'to', 'open', 'reason', $4::text)
		   from unnest($1::uuid[], $2::uuid[], $3::text[]) as reopening (workspace_id, id, previous)`,
		[workspaces, ids, reopenings.map((r) => r.from), reason]
	);
	if (reason !== 'snooze_ended') return [];
	const { rows } = await client.query<{ workspace_id: string; user_id: string }>(
		`insert into notifications (workspace_id, user_id, kind, conversation_id)
		 select conversation.workspace_id, conversation.assignee_id, 'snooze_ended', conversation.id
		   from conversations conversation join unnest($1::uuid[], $2::uuid[]) as reopening (id, workspace_id)
		     on conversation.id = reopening.id and conversation.workspace_id = reopening.workspace_id
		  where conversation.assignee_id is not null
		 returning workspace_id, user_id`,
		[ids, workspaces]
	);
	return rows.map((r) => ({ workspaceId: r.workspace_id, userId: r.user_id }));
}

/**
 * Shows conversations reopened by `reopenConversations` once committed: their list rows (and the
 * notified assignees' notifications) on the workspace feed, then their live documents.
 */
export async function mirrorReopened(
	live: Pick<LiveDocuments, 'setMeta'>,
	reopenings: readonly (Reopening & { origin: LiveOrigin })[],
	notified: readonly ReopenNotified[] = []
): Promise<void> {
	conversationsChanged(reopenings);
	for (const n of notified) notificationsCreated(n.workspaceId, [n.userId]);
	for (const r of reopenings) {
		await live
			.setMeta(r.workspaceId, r.conversationId, { status: 'open', snoozedUntil: null }, r.origin)
			.catch((error) => logger('commands').warn('reopen_mirror_failed', { conversation_id: r.conversationId, error: errorMessage(error) }));
	}
}

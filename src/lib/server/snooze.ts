import type pg from 'pg';
import { transaction } from './db.ts';
import type { LiveDocuments } from './ports.ts';
import { logger } from './log.ts';
import { mirrorReopened, reopenConversations } from './commands/status.ts';

const log = logger('snooze');

export interface WokenConversation {
	id: string;
	workspaceId: string;
}

/**
 * Reopens snoozed conversations whose time has come, through the status command's system form:
 * in PostgreSQL first (status, the changes feed through `updated_at`, a `conversation_events` row
 * with the reason, a notification for the assignee), then in the live documents of those that are
 * open somewhere, so agents see it without reloading. Run by the pipeline's minute sweep on any
 * one instance (a customer's new message reopens a conversation sooner, in the ingest worker).
 * Rows are claimed with SKIP LOCKED, so two sweeps never wake one twice.
 */
export async function wakeSnoozed(db: pg.Pool, live: Pick<LiveDocuments, 'setMeta'>, limit = 500): Promise<WokenConversation[]> {
	const { rows, notified } = await transaction(db, async (client) => {
		const { rows } = await client.query<{ id: string; workspace_id: string }>(
			`select id, workspace_id from conversations
			  where status = 'snoozed' and snoozed_until <= now()
			  order by snoozed_until
			  limit $1
			    for update skip locked`,
			[limit]
		);
		const notified = await reopenConversations(
			client,
			rows.map((r) => ({ workspaceId: r.workspace_id, conversationId: r.id, from: 'snoozed' })),
			'snooze_ended'
		);
		return { rows, notified };
	});
	await mirrorReopened(
		live,
		rows.map((r) => ({ workspaceId: r.workspace_id, conversationId: r.id, from: 'snoozed', origin: { source: 'system', reason: 'snooze_ended' } })),
		notified
	);
	if (rows.length > 0) log.info('woken', { conversations: rows.length });
	return rows.map((r) => ({ id: r.id, workspaceId: r.workspace_id }));
}

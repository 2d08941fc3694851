import type { Queryable } from './db.ts';
import type { LiveDocuments } from './ports.ts';
import { errorMessage, logger } from './log.ts';
import { conversationsChanged, notificationsCreated } from './workspace-feed.ts';

const log = logger('snooze');

export interface WokenConversation {
	id: string;
	workspaceId: string;
}

/**
 * Reopens snoozed conversations whose time has come: in PostgreSQL first (status, the changes feed
 * through `updated_at`, a `conversation_events` row with the reason, a notification for the
 * assignee), then in the live documents
 * of those that are open somewhere, so agents see it without reloading. Run by the pipeline's
 * minute sweep on any one instance (a customer's new message reopens a conversation sooner, in
 * the ingest worker). Rows are claimed with SKIP LOCKED, so two sweeps never wake one twice.
 */
export async function wakeSnoozed(db: Queryable, live: LiveDocuments, limit = 500): Promise<WokenConversation[]> {
	const { rows } = await db.query<{ id: string; workspace_id: string; assignee_id: string | null }>(
		`with due as (
		   select id from conversations
		    where status = 'snoozed' and snoozed_until <= now()
		    order by snoozed_until
		    limit $1
		      for update skip locked
		 ), woken as (
		   update conversations c set status = 'open', snoozed_until = null, updated_at = now()
		     from due where c.id = due.id
		   returning c.id, c.workspace_id, c.assignee_id
		 ), logged as (
		   insert into conversation_events (workspace_id, conversation_id, actor_id, kind, data)
		   select workspace_id, id, null, 'status', jsonb_build_object('from', 'snoozed', 'to', 'open', 'reason', 'snooze_ended')
		     from woken
		 ), notified as (
		   insert into notifications (workspace_id, user_id, kind, conversation_id)
		   select workspace_id, assignee_id, 'snooze_ended', id from woken where assignee_id is not null
		 )
		 select id, workspace_id, assignee_id from woken`,
		[limit]
	);
	conversationsChanged(rows.map((r) => ({ workspaceId: r.workspace_id, conversationId: r.id })));
	for (const row of rows) if (row.assignee_id) notificationsCreated(row.workspace_id, [row.assignee_id]);
	for (const row of rows) {
		await live
			.setMeta(row.workspace_id, row.id, { status: 'open', snoozedUntil: null }, { source: 'system', reason: 'snooze_ended' })
			.catch((error) => log.warn('wake_mirror_failed', { conversation_id: row.id, error: errorMessage(error) }));
	}
	if (rows.length > 0) log.info('woken', { conversations: rows.length });
	return rows.map((r) => ({ id: r.id, workspaceId: r.workspace_id }));
}

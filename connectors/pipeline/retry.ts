import { transaction } from '../../src/lib/server/db.ts';
import { isUuid, type WorkspaceScope } from '../../src/lib/server/scope.ts';
import { RetryRefused, type RetriedReply } from '../../src/lib/server/platforms.ts';
import { deliveryErrorView } from '../../src/lib/delivery-errors.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { MIRROR_COLUMNS, queueMirrorSql, type MirrorRow } from './mirror.ts';
import type { ReplyDeps } from './replies.ts';
import { explainWindow } from './window.ts';
import type { Platform } from '../types.ts';

/**
 * Retrying a failed reply: `POST /api/v1/conversations/:id/messages/:messageId/retry`. The same
 * outbox row goes back to `queued` (attempts reset, due now) and the message shows `queued` again,
 * in PostgreSQL first and then in the live document; then the outbox worker is woken. The rules are
 * the reply command's (replies.ts): the connection must be active and the reply window open now.
 * Guarded on `state = 'failed'`, so two agents pressing Retry at once queue it once.
 */

const log = logger('replies');

interface RetryTarget {
	outbox_id: string;
	outbox_state: string;
	platform: Platform;
	connection_status: string;
	last_customer_message_at: Date | null;
}

export async function retryReply(deps: ReplyDeps, scope: WorkspaceScope, conversationId: string, messageId: string): Promise<RetriedReply> {
	scope.require('converse');
	if (!isUuid(conversationId) || !isUuid(messageId)) throw new RetryRefused('not_found', 'Message not found');
	const { rows } = await deps.db.query<RetryTarget>(
		`select o.id as outbox_id, o.state as outbox_state, c.platform, pc.status as connection_status, c.last_customer_message_at
		   from outbox o
		   join conversations c on c.id = o.conversation_id and c.workspace_id = o.workspace_id
		   join platform_connections pc on pc.id = c.connection_id
		  where o.message_id = $1 and o.conversation_id = $2 and o.workspace_id = $3`,
		[messageId, conversationId, scope.workspaceId]
	);
	const target = rows[0];
	if (!target) throw new RetryRefused('not_found', 'Message not found');
	if (target.outbox_state !== 'failed') throw new RetryRefused('not_failed', 'This message has not failed: it is sent or on its way.');
	if (target.connection_status !== 'active') {
		throw new RetryRefused('disconnected', 'This conversation’s platform was disconnected. Reconnect it in Settings → Connections to reply.');
	}
	const connector = deps.connectors[target.platform];
	const window = connector.checkReplyWindow(target.last_customer_message_at, deps.now?.() ?? new Date());
	if (!window.ok) throw new RetryRefused(window.reason, explainWindow(connector, window));

	const message = await transaction(deps.db, async (client) => {
		const requeued = await client.query(
			`update outbox set state = 'queued', attempts = 0, next_attempt_at = now(), last_error = null, updated_at = now()
			  where id = $1 and state = 'failed'`,
			[target.outbox_id]
		);
		if (!requeued.rowCount) return null;
		const updated = await client.query<MirrorRow>(
			`with updated as (
			   update messages set delivery_state = 'queued', delivery_error = null
			    where id = $1 and workspace_id = $2 returning ${MIRROR_COLUMNS}
			 ), queued as (${queueMirrorSql('updated')})
			 select * from updated`,
			[messageId, scope.workspaceId]
		);
		return updated.rows[0] ?? null;
	});
	// Another agent's retry got there first.
	if (!message) throw new RetryRefused('not_failed', 'This message has not failed: it is sent or on its way.');
	log.info('retry_queued', { workspace_id: scope.workspaceId, conversation_id: conversationId, message_id: messageId, outbox_id: target.outbox_id, platform: target.platform });

	try {
		// Shown as queued before the worker is woken, so a quick "sent" can never be overwritten by it.
		await deps.live.setDeliveryState(scope.workspaceId, conversationId, messageId, 'queued', null, { source: 'outbox' });
		await deps.db.query(`delete from message_mirror_queue where message_id = $1 and delivery_state = 'queued'`, [messageId]);
	} catch (error) {
		// Queued all the same; the mirror sweep shows it later.
		log.warn('mirror_failed', { conversation_id: conversationId, message_id: messageId, error: errorMessage(error) });
	}
	deps.wakeOutbox();
	return {
		messageId: message.id,
		conversationId: message.conversation_id,
		body: message.body,
		deliveryState: message.delivery_state ?? 'queued',
		...deliveryErrorView(message.delivery_error),
		sentAt: message.sent_at.toISOString()
	};
}

import type pg from 'pg';
import { isUniqueViolation, transaction } from '../../src/lib/server/db.ts';
import type { LiveDocuments } from '../../src/lib/server/ports.ts';
import type { WorkspaceScope } from '../../src/lib/server/scope.ts';
import { ReplyRefused, type QueuedReply, type ReplyInput } from '../../src/lib/server/platforms.ts';
import { deliveryErrorView } from '../../src/lib/delivery-errors.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { SendError } from '../shared/errors.ts';
import { assertSendableText } from '../shared/policy.ts';
import { MIRROR_COLUMNS, MIRROR_COLUMNS_OF_M, mirrorMessages, queueMirrorSql, type MirrorRow } from './mirror.ts';
import type { ConnectorRegistry } from './connections.ts';
import { explainWindow } from './window.ts';
import type { Platform } from '../types.ts';

/**
 * The reply command: `POST /api/v1/conversations/:id/replies`. Checks the platform's rules first
 * (length, reply window) and explains a refusal in a sentence; otherwise writes the outgoing
 * message (queued) and its outbox row in one transaction, then shows it in the live document,
 * clears the shared draft, and wakes the outbox worker. The idempotency key makes a retried
 * request return the same reply instead of sending a second one.
 */

const log = logger('replies');

export interface ReplyDeps {
	db: pg.Pool;
	live: LiveDocuments;
	connectors: ConnectorRegistry;
	/** Wakes the outbox worker on this instance (no-op when workers are off: another instance sends). */
	wakeOutbox: () => void;
	now?: () => Date;
}

interface ExistingRow extends MirrorRow {
	outbox_conversation_id: string;
	outbox_body: string;
}

function view(row: MirrorRow, created: boolean): QueuedReply {
	return {
		messageId: row.id,
		conversationId: row.conversation_id,
		body: row.body,
		deliveryState: row.delivery_state ?? 'queued',
		...deliveryErrorView(row.delivery_error),
		sentAt: row.sent_at.toISOString(),
		created
	};
}

async function existing(db: pg.Pool | pg.PoolClient, scope: WorkspaceScope, conversationId: string, input: ReplyInput): Promise<QueuedReply | null> {
	const { rows } = await db.query<ExistingRow>(
		`select ${MIRROR_COLUMNS_OF_M}, o.conversation_id as outbox_conversation_id, o.body as outbox_body
		   from outbox o join messages m on m.id = o.message_id
		  where o.workspace_id = $1 and o.idempotency_key = $2`,
		[scope.workspaceId, input.idempotencyKey]
	);
	const row = rows[0];
	if (!row) return null;
	if (row.outbox_conversation_id !== conversationId || row.outbox_body !== input.body) {
		throw new ReplyRefused('key_reused', 'This idempotency key was already used for a different reply. Use a new key for a new reply.');
	}
	return view(row, false);
}

export async function createReply(deps: ReplyDeps, scope: WorkspaceScope, conversationId: string, input: ReplyInput): Promise<QueuedReply> {
	scope.require('converse');
	const before = await existing(deps.db, scope, conversationId, input);
	if (before) return before;

	const { rows } = await deps.db.query<{ platform: Platform; connection_id: string; status: string; last_customer_message_at: Date | null }>(
		`select c.platform, c.connection_id, pc.status, c.last_customer_message_at
		   from conversations c join platform_connections pc on pc.id = c.connection_id
		  where c.id = $1 and c.workspace_id = $2`,
		[conversationId, scope.workspaceId]
	);
	const conversation = rows[0];
	if (!conversation) throw new ReplyRefused('not_found', 'Conversation not found');
	if (conversation.status !== 'active') {
		throw new ReplyRefused('disconnected', 'This conversation’s platform was disconnected. Reconnect it in Settings → Connections to reply.');
	}
	const connector = deps.connectors[conversation.platform];
	try {
		assertSendableText(connector.capabilities, input.body);
	} catch (error) {
		if (!(error instanceof SendError)) throw error;
		if (error.code === 'empty_text') throw new ReplyRefused('empty', 'Write a message first.');
		throw new ReplyRefused('too_long', `${error.message}. Shorten it or send it in parts.`);
	}
	const window = connector.checkReplyWindow(conversation.last_customer_message_at, deps.now?.() ?? new Date());
	if (!window.ok) throw new ReplyRefused(window.reason, explainWindow(connector, window));

	let message: MirrorRow;
	try {
		message = await transaction(deps.db, async (client) => {
			const inserted = await client.query<MirrorRow>(
				`with inserted as (
				   insert into messages (workspace_id, conversation_id, connection_id, direction, sender_type, author_id, body, delivery_state)
				   values ($1, $2, $3, 'out', $4, $5, $6, 'queued') returning ${MIRROR_COLUMNS}
				 ), queued as (${queueMirrorSql('inserted')})
				 select * from inserted`,
				[scope.workspaceId, conversationId, conversation.connection_id, input.senderType ?? 'agent', scope.userId, input.body]
			);
			const row = inserted.rows[0];
			await client.query(
				`insert into outbox (workspace_id, conversation_id, connection_id, message_id, idempotency_key, author_id, sender_type, body)
				 values ($1, $2, $3, $4, $5, $6, $7, $8)`,
				[scope.workspaceId, conversationId, conversation.connection_id, row.id, input.idempotencyKey, scope.userId, input.senderType ?? 'agent', input.body]
			);
			await client.query(
				`update conversations set last_message_at = greatest(last_message_at, $2), last_message_preview = $3,
				        message_count = message_count + 1, unread_count = 0, updated_at = now()
				  where id = $1`,
				[conversationId, row.sent_at, [...input.body.replace(/\s+/g, ' ').trim()].slice(0, 140).join('')]
			);
			return row;
		});
	} catch (error) {
		// The same key raced in from a second request: that one won, answer with its reply.
		if (isUniqueViolation(error)) {
			const raced = await existing(deps.db, scope, conversationId, input);
			if (raced) return raced;
		}
		throw error;
	}
	log.info('queued', { workspace_id: scope.workspaceId, conversation_id: conversationId, message_id: message.id, platform: conversation.platform });

	try {
		// Shown as queued before the worker is woken, so a quick "sent" can never be overwritten by it.
		await mirrorMessages(deps.db, deps.live, [message], () => ({ source: 'outbox' }));
		await deps.live.clearDraft(scope.workspaceId, conversationId, { source: 'outbox' });
	} catch (error) {
		// Queued all the same; the mirror sweep shows it later.
		log.warn('mirror_failed', { conversation_id: conversationId, message_id: message.id, error: errorMessage(error) });
	}
	deps.wakeOutbox();
	return view(message, true);
}

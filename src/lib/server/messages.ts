import type { Queryable } from './db.ts';
import { AccessDenied, isUuid, type WorkspaceScope } from './scope.ts';
import type { DeliveryState, MessageDirection, SenderType, WindowAttachment, WindowMessage } from '../conversation-doc.ts';
import { deliveryErrorView, readDeliveryError, type DeliveryError, type DeliveryErrorCode } from '../delivery-errors.ts';
import { DomainError } from './errors.ts';

/**
 * Message history beyond the live document's recent window: keyset pages on (sent_at, id), newest
 * first through the pages, each page in chronological order. Backs
 * `GET /api/v1/conversations/:id/messages?before=<message id>&limit=<n>` (docs/API.md).
 */

export const DEFAULT_PAGE = 50;
export const MAX_PAGE = 100;

export interface HistoryMessage {
	id: string;
	direction: MessageDirection;
	senderType: SenderType;
	authorId: string | null;
	body: string;
	attachments: WindowAttachment[];
	deliveryState: DeliveryState | null;
	/** Why it was not delivered, a stable code; null unless failed (docs/API.md). */
	deliveryError: DeliveryErrorCode | null;
	/** The code's parameters and the technical detail; null unless failed. */
	deliveryErrorDetail: Omit<DeliveryError, 'code'> | null;
	/** ISO 8601. */
	sentAt: string;
}

export interface MessagePage {
	/** Oldest first, so a client prepends the page as it is. */
	messages: HistoryMessage[];
	/** Pass as `before` for the next older page; null when this page reaches the first message. */
	nextBefore: string | null;
}

export interface ListMessagesOptions {
	/** The id of a message in this conversation; the page holds the messages sent before it. Absent: the latest. */
	before?: string | null;
	/** @default 50, at most 100 */
	limit?: number;
}

/** `before` names no message of this conversation. The route answers 400. */
export class InvalidCursor extends DomainError<'invalid_cursor'> {
	readonly reason = 'invalid_cursor' as const;
	constructor() {
		super(400, 'invalid_cursor', 'before must be the id of a message in this conversation');
	}
}

/**
 * One page of a conversation's messages. Throws AccessDenied('not_found') when the conversation is
 * not in the scope's workspace (the route answers 404, never revealing that it exists elsewhere).
 */
export async function listMessages(db: Queryable, scope: WorkspaceScope, conversationId: string, options: ListMessagesOptions = {}): Promise<MessagePage> {
	scope.require('read');
	if (!isUuid(conversationId)) throw new AccessDenied('not_found');
	const limit = Math.min(Math.max(Math.trunc(options.limit ?? DEFAULT_PAGE) || DEFAULT_PAGE, 1), MAX_PAGE);
	const conversation = await db.query('select 1 from conversations where id = $1 and workspace_id = $2', [conversationId, scope.workspaceId]);
	if (!conversation.rowCount) throw new AccessDenied('not_found');

	const values: unknown[] = [conversationId, scope.workspaceId, limit + 1];
	let keyset = '';
	if (options.before) {
		if (!isUuid(options.before)) throw new InvalidCursor();
		const anchor = await db.query('select 1 from messages where id = $1 and conversation_id = $2', [options.before, conversationId]);
		if (!anchor.rowCount) throw new InvalidCursor();
		values.push(options.before);
		keyset = 'and (m.sent_at, m.id) < (select sent_at, id from messages where id = $4)';
	}
	const { rows } = await db.query(
		`select m.id, m.direction, m.sender_type, m.author_id, m.body, m.attachments, m.delivery_state, m.delivery_error, m.sent_at
		   from messages m
		  where m.conversation_id = $1 and m.workspace_id = $2 ${keyset}
		  order by m.sent_at desc, m.id desc
		  limit $3`,
		values
	);
	const more = rows.length > limit;
	const page = rows.slice(0, limit).reverse();
	return {
		messages: page.map((r) => ({
			id: r.id,
			direction: r.direction,
			senderType: r.sender_type,
			authorId: r.author_id,
			body: r.body,
			attachments: Array.isArray(r.attachments) ? r.attachments : [],
			deliveryState: r.delivery_state,
			...deliveryErrorView(r.delivery_error),
			sentAt: (r.sent_at as Date).toISOString()
		})),
		nextBefore: more && page.length ? page[0].id : null
	};
}

/** The columns of a messages row that a live document's window needs. */
export interface MessageRow {
	id: string;
	direction: MessageDirection;
	sender_type: SenderType;
	author_id: string | null;
	body: string;
	attachments: unknown;
	delivery_state: DeliveryState | null;
	/** jsonb since migration 0015: a DeliveryError; older values are read by `readDeliveryError`. */
	delivery_error: unknown;
	sent_at: Date;
}

/** A messages row as it stands in a live document's recent window (collab seeds, pipeline mirrors). */
export function windowMessageFromRow(row: MessageRow): WindowMessage {
	return {
		id: row.id,
		direction: row.direction,
		senderType: row.sender_type,
		authorId: row.author_id,
		body: row.body,
		attachments: Array.isArray(row.attachments) ? (row.attachments as WindowAttachment[]) : [],
		sentAt: row.sent_at.toISOString(),
		deliveryState: row.delivery_state,
		deliveryError: readDeliveryError(row.delivery_error)
	};
}

/**
 * Queues messages for mirroring with the state to show, in the caller's transaction: a statement
 * whose rows (`id, workspace_id, delivery_state`) come from `source`, e.g. the `returning` of the
 * insert or update that wrote them. A message already queued takes the newer state (and its row
 * lock, which a racing delete after mirroring waits for and then re-checks). See
 * connectors/pipeline/mirror.ts and migration 0008.
 */
export function queueMirrorSql(source: string): string {
	return `insert into message_mirror_queue (message_id, workspace_id, delivery_state)
	        select id, workspace_id, delivery_state from ${source}
	        on conflict (message_id) do update set delivery_state = excluded.delivery_state, queued_at = now()`;
}

import type pg from 'pg';
import { reopenConversations, reopensOnCustomerMessage, type Reopening } from '../../src/lib/server/commands/status.ts';
import { logger } from '../../src/lib/server/log.ts';
import { MIRROR_COLUMNS, queueMirrorSql, type MirrorRow } from './mirror.ts';
import { upsertIdentities, type Identity } from './ingest-identities.ts';
import type { StoredEvent } from './stored-event.ts';
import type { MessageEvent as NormalizedMessage } from '../types.ts';

/**
 * The message stage of an ingest batch (ingest-worker.ts): every message event of the batch in a
 * fixed number of set-based statements (identities, conversations, messages, conversation
 * columns), whatever the batch size: the round trips, not the rows, are what a batch costs.
 */

const log = logger('ingest');

/** The events as stored: without the account id (the row's connection is the account). */
export type MessageEvent = Omit<NormalizedMessage, 'accountId'>;

/** An `inbound_events` row claimed by a pass. */
export interface ClaimedEvent {
	id: string;
	workspace_id: string;
	connection_id: string;
	platform: string;
	event_id: string;
	kind: string;
	payload: unknown;
	attempts: number;
}

/** What a committed batch still has to do outside the transaction. */
export interface Effects {
	messages: (MirrorRow & { platform: string })[];
	reopened: (Reopening & { platform: string })[];
	orders: Map<string, Set<string>>;
	/** Customers who wrote, by connection: their profiles are refreshed when old. */
	customers: Map<string, Set<string>>;
	/** Connections that received events: "last event received" on their card. */
	connections: Set<string>;
}

/** Nothing to do yet. */
export function noEffects(): Effects {
	return { messages: [], reopened: [], orders: new Map(), customers: new Map(), connections: new Set() };
}

export interface MessageItem {
	row: ClaimedEvent;
	event: MessageEvent;
}

/** A stored event's lock key: by connection, then thread (orders after the messages of their connection). */
export function lockKey({ row, event }: { row: ClaimedEvent; event: StoredEvent }): string {
	return `${row.connection_id}|${event.type === 'message' ? event.threadId : '~' + event.orderId}`;
}

export function addOrder(effects: Effects, connectionId: string, orderId: string): void {
	addTo(effects.orders, connectionId, orderId);
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
	const set = map.get(key) ?? new Set<string>();
	set.add(value);
	map.set(key, set);
}

/** Every message event of a batch, inside the caller's transaction. */
export async function applyMessages(client: pg.PoolClient, items: MessageItem[], effects: Effects): Promise<void> {
	const identities = await upsertIdentities(client, items);
	const conversations = await placeConversations(client, items, identities);
	const conversationOf = (item: MessageItem) => conversations.get(threadKey(item));
	const placed = items.filter((item) => conversationOf(item));
	if (placed.length < items.length) log.info('seller_messages_without_conversation', { events: items.length - placed.length });
	for (const { row, event } of placed) if (event.orderRef) addOrder(effects, row.connection_id, event.orderRef);
	for (const { row, event } of placed) if (event.from === 'customer' && event.customer) addTo(effects.customers, row.connection_id, event.customer.externalId);
	if (placed.length === 0) return;

	const inserted = await insertMessages(client, placed, (item) => conversationOf(item)!.id);
	if (inserted.length === 0) return; // all redelivered: already stored
	const byMessage = new Map(placed.map((item) => [`${item.row.connection_id}|${item.event.platformMessageId}`, item]));
	const changes = new Map<string, ConversationChange>();
	for (const message of inserted) {
		const item = byMessage.get(`${message.connection_id}|${message.platform_message_id}`)!;
		const conversation = conversationOf(item)!;
		const change = changes.get(conversation.id) ?? newChange(conversation, item.row);
		addToChange(change, item.event);
		changes.set(conversation.id, change);
		effects.messages.push({ ...message, platform: item.row.platform });
	}
	const list = [...changes.values()];
	await updateConversations(client, list);
	// A customer's message reopens a resolved or snoozed conversation: the status command's system form.
	const reopened = list
		.filter((change) => change.customerCount > 0 && reopensOnCustomerMessage(change.status))
		.map((change) => ({ workspaceId: change.workspaceId, conversationId: change.id, from: change.status, platform: change.platform }));
	await reopenConversations(client, reopened, 'customer_message');
	effects.reopened.push(...reopened);
}

function threadKey({ row, event }: MessageItem): string {
	return `${row.connection_id}|${event.threadId}`;
}

interface PlacedConversation {
	id: string;
	status: string;
}

/**
 * The conversation of each thread (`connection|thread`), locked: opened by the first customer who
 * names it, or found for a seller message that does not name the customer (which can only join a
 * conversation we know).
 */
async function placeConversations(client: pg.PoolClient, items: MessageItem[], identities: Map<string, Identity>): Promise<Map<string, PlacedConversation>> {
	const threads = new Map<string, MessageItem & { identity?: Identity }>();
	for (const item of items) {
		const identity = item.event.customer ? identities.get(`${item.row.connection_id}|${item.event.customer.externalId}`) : undefined;
		const known = threads.get(threadKey(item));
		if (!known || (!known.identity && identity)) threads.set(threadKey(item), { ...item, identity });
	}
	const conversations = new Map<string, PlacedConversation>();
	type Row = PlacedConversation & { connection_id: string; external_thread_id: string };
	const keep = (rows: Row[]) => {
		for (const r of rows) conversations.set(`${r.connection_id}|${r.external_thread_id}`, { id: r.id, status: r.status });
	};
	const openable = [...threads.values()].filter((thread) => thread.identity);
	if (openable.length > 0) {
		const { rows } = await client.query<Row>(
			`insert into conversations (workspace_id, connection_id, contact_id, contact_identity_id, platform, external_thread_id, last_message_at)
			 select * from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[], $6::text[], $7::timestamptz[])
			  order by 2, 6
			 on conflict (connection_id, external_thread_id) do update set updated_at = now()
			 returning id, status, connection_id, external_thread_id`,
			[
				openable.map((t) => t.row.workspace_id),
				openable.map((t) => t.row.connection_id),
				openable.map((t) => t.identity!.contact_id),
				openable.map((t) => t.identity!.id),
				openable.map((t) => t.row.platform),
				openable.map((t) => t.event.threadId),
				openable.map((t) => t.event.sentAt)
			]
		);
		keep(rows);
	}
	const unnamed = [...threads.entries()].filter(([key, thread]) => !thread.identity && !conversations.has(key)).map(([, thread]) => thread);
	if (unnamed.length > 0) {
		const { rows } = await client.query<Row>(
			`select conversation.id, conversation.status, conversation.connection_id, conversation.external_thread_id
			   from conversations conversation
			   join unnest($1::uuid[], $2::text[]) as thread (connection_id, external_thread_id)
			     on conversation.connection_id = thread.connection_id and conversation.external_thread_id = thread.external_thread_id
			  order by conversation.connection_id, conversation.external_thread_id for update of conversation`,
			[unnamed.map((t) => t.row.connection_id), unnamed.map((t) => t.event.threadId)]
		);
		keep(rows);
	}
	return conversations;
}

type InsertedMessage = MirrorRow & { connection_id: string; platform_message_id: string };

/** Inserts the messages (a redelivered one is skipped) and queues each new one for the live mirror. */
async function insertMessages(client: pg.PoolClient, placed: MessageItem[], conversationIdOf: (item: MessageItem) => string): Promise<InsertedMessage[]> {
	const fromCustomer = (item: MessageItem) => item.event.from === 'customer';
	const { rows } = await client.query<InsertedMessage>(
		`with inserted as (
		   insert into messages (workspace_id, conversation_id, connection_id, platform_message_id, direction, sender_type, body, attachments, delivery_state, sent_at)
		   select * from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::text[], $10::timestamptz[])
		   on conflict (connection_id, platform_message_id) do nothing
		   returning ${MIRROR_COLUMNS}, connection_id, platform_message_id
		 ), queued as (${queueMirrorSql('inserted')})
		 select * from inserted`,
		[
			placed.map((i) => i.row.workspace_id),
			placed.map(conversationIdOf),
			placed.map((i) => i.row.connection_id),
			placed.map((i) => i.event.platformMessageId),
			placed.map((i) => (fromCustomer(i) ? 'in' : 'out')),
			placed.map((i) => (fromCustomer(i) ? 'customer' : 'agent')),
			placed.map((i) => i.event.text),
			placed.map((i) => JSON.stringify(i.event.attachments)),
			placed.map((i) => (fromCustomer(i) ? null : 'sent')),
			placed.map((i) => i.event.sentAt)
		]
	);
	return rows;
}

/** What a batch's new messages change on one conversation. */
interface ConversationChange {
	id: string;
	status: string;
	workspaceId: string;
	platform: string;
	count: number;
	customerCount: number;
	lastAt: Date | null;
	preview: string;
	lastCustomerAt: Date | null;
	lastSellerAt: Date | null;
	replyToken: string | null;
}

function newChange(conversation: PlacedConversation, row: ClaimedEvent): ConversationChange {
	return {
		id: conversation.id,
		status: conversation.status,
		workspaceId: row.workspace_id,
		platform: row.platform,
		count: 0,
		customerCount: 0,
		lastAt: null,
		preview: '',
		lastCustomerAt: null,
		lastSellerAt: null,
		replyToken: null
	};
}

function addToChange(change: ConversationChange, event: MessageEvent): void {
	const at = event.sentAt;
	change.count += 1;
	if (!change.lastAt || at >= change.lastAt) {
		change.lastAt = at;
		change.preview = preview(event);
	}
	if (event.from === 'customer') {
		change.customerCount += 1;
		if (!change.lastCustomerAt || at > change.lastCustomerAt) change.lastCustomerAt = at;
		if (event.replyToken) change.replyToken = event.replyToken;
	} else if (!change.lastSellerAt || at > change.lastSellerAt) {
		change.lastSellerAt = at;
	}
}

function preview(event: MessageEvent): string {
	const text = event.text.replace(/\s+/g, ' ').trim();
	if (text) return [...text].slice(0, 140).join('');
	const kind = event.attachments[0]?.kind;
	return kind ? `[${kind}]` : '';
}

/** The conversation columns the new messages move: preview, counts, unread, first response, reply token. */
async function updateConversations(client: pg.PoolClient, list: ConversationChange[]): Promise<void> {
	await client.query(
		`update conversations conversation set
		   last_message_preview = case when change.last_at >= conversation.last_message_at then change.preview else conversation.last_message_preview end,
		   last_message_at = greatest(conversation.last_message_at, change.last_at),
		   message_count = conversation.message_count + change.message_count,
		   unread_count = case when change.seller_at is not null and (change.customer_at is null or change.seller_at > change.customer_at) then 0
		                       else conversation.unread_count + change.customer_count end,
		   last_customer_message_at = case when change.customer_at is null then conversation.last_customer_message_at
		                                   else greatest(coalesce(conversation.last_customer_message_at, change.customer_at), change.customer_at) end,
		   -- a seller message counts as the first response only when a customer had written before it
		   first_response_at = case when conversation.first_response_at is null and change.seller_at > least(conversation.last_customer_message_at, change.customer_at)
		                            then change.seller_at else conversation.first_response_at end,
		   reply_token = coalesce(change.reply_token, conversation.reply_token),
		   reply_token_at = case when change.reply_token is null then conversation.reply_token_at else now() end,
		   updated_at = now()
		  from unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::int[], $5::int[], $6::timestamptz[], $7::timestamptz[], $8::text[])
		       as change (id, last_at, preview, message_count, customer_count, customer_at, seller_at, reply_token)
		 where conversation.id = change.id`,
		[
			list.map((c) => c.id),
			list.map((c) => c.lastAt),
			list.map((c) => c.preview),
			list.map((c) => c.count),
			list.map((c) => c.customerCount),
			list.map((c) => c.lastCustomerAt),
			list.map((c) => c.lastSellerAt),
			list.map((c) => c.replyToken)
		]
	);
}

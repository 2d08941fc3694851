import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import { isDatabaseUnavailable, transaction, type Pool } from '../../src/lib/server/db.ts';
import type { LiveDocuments } from '../../src/lib/server/ports.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { DrainLoop } from './drain-loop.ts';
import { MIRROR_COLUMNS, MirrorQueue, mirrorSweep, queueMirrorSql, type MirrorRow } from './mirror.ts';
import { Pacer } from './pacing.ts';
import { storedEvent, type StoredEvent } from './stored-event.ts';
import type { OrdersService } from './orders.ts';
import type { ProfileFetcher } from './profiles.ts';
import type { MessageEvent as NormalizedMessage, OrderUpdateEvent as NormalizedOrderUpdate } from '../types.ts';

/** The events as stored: without the account id (the row's connection is the account). */
type MessageEvent = Omit<NormalizedMessage, 'accountId'>;
type OrderUpdateEvent = Omit<NormalizedOrderUpdate, 'accountId'>;

/**
 * Stage 2 of the pipeline (model: Chatwoot's `line_events_job` + `webhook_event_adapter`): turns
 * stored `inbound_events` into contacts, conversations and messages.
 *
 * One pass claims a batch with `FOR UPDATE SKIP LOCKED` (so several instances, and several runners
 * on one instance, share the work), writes everything the batch means and marks the events
 * processed in the same transaction, commits, and only then mirrors the new messages into their
 * live documents. A crash before the commit leaves the events unprocessed (the next pass takes
 * them again); a crash after it leaves them in `message_mirror_queue` (the mirror sweep replays them).
 * A message is unique per connection and platform message id, so a redelivered event is a no-op.
 */

const log = logger('ingest');

export interface IngestWorkerOptions {
	db: Pool;
	live: LiveDocuments;
	/** Refreshes the orders named by order pushes and order cards, after the commit. */
	orders?: OrdersService;
	/** Fetches the profiles of the customers who wrote, after the commit (profiles.ts). */
	profiles?: ProfileFetcher;
	/** Events per transaction. @default 200 */
	batchSize?: number;
	/** Events per transaction while webhooks are arriving (see `restRatio`). @default 50 */
	pressureBatchSize?: number;
	/** Runners on this instance. @default 2 (1 on the embedded database) */
	concurrency?: number;
	/** An event that keeps failing is set aside (processed, with last_error) after this many tries. @default 5 */
	maxAttempts?: number;
	/**
	 * Pacing (see pacing.ts): the rest multiple before each pass and each mirror chunk, 0 for none.
	 * Every pass still runs: a rest lasts at most `maxYieldMs`.
	 */
	restRatio?: () => number;
	/** @default 250 */
	maxYieldMs?: number;
}

interface ClaimedEvent {
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
interface Effects {
	messages: (MirrorRow & { platform: string })[];
	reopened: { workspaceId: string; conversationId: string; platform: string }[];
	orders: Map<string, Set<string>>;
	/** Customers who wrote, by connection: their profiles are refreshed when old. */
	customers: Map<string, Set<string>>;
	/** Connections that received events: "last event received" on their card. */
	connections: Set<string>;
}

const RETRY_CODES = new Set(['40P01', '40001']);

export class IngestWorker {
	readonly #db: Pool;
	readonly #live: LiveDocuments;
	readonly #orders: OrdersService | undefined;
	readonly #profiles: ProfileFetcher | undefined;
	readonly #batchSize: number;
	readonly #pressureBatchSize: number;
	readonly #maxAttempts: number;
	readonly #loop: DrainLoop;
	readonly #mirror: MirrorQueue;
	readonly #pacer: Pacer;

	constructor(options: IngestWorkerOptions) {
		this.#db = options.db;
		this.#live = options.live;
		this.#orders = options.orders;
		this.#profiles = options.profiles;
		this.#batchSize = options.batchSize ?? 200;
		this.#pressureBatchSize = Math.min(this.#batchSize, options.pressureBatchSize ?? 50);
		this.#maxAttempts = options.maxAttempts ?? 5;
		this.#loop = new DrainLoop(() => this.pass(), {
			concurrency: options.concurrency ?? 2,
			log,
			name: 'ingest',
			// A batch whose commit answer was lost with the connection is in PostgreSQL but was never
			// mirrored: replay the queue as soon as the database answers again, not at the next sweep.
			onRecovered: () => mirrorSweep(options.db, options.live)
		});
		const maxYieldMs = options.maxYieldMs ?? 250;
		this.#pacer = new Pacer(options.restRatio, maxYieldMs);
		const mirrorPacer = new Pacer(options.restRatio, maxYieldMs);
		this.#mirror = new MirrorQueue(options.db, options.live, { around: (chunk) => mirrorPacer.run(chunk) });
	}

	/** Asks for a drain soon; cheap to call after every committed webhook batch. */
	wake(): void {
		this.#loop.wake();
	}

	/** Resolves when no pass runs and every committed message is in its document. */
	async idle(): Promise<void> {
		await this.#loop.idle();
		await this.#mirror.idle();
	}

	async stop(): Promise<void> {
		await this.#loop.stop();
		await this.#mirror.idle();
	}

	/** One batch. Resolves true when there may be more. */
	pass(): Promise<boolean> {
		return this.#pacer.run(() => this.#pass());
	}

	async #pass(): Promise<boolean> {
		let claimed: ClaimedEvent[] = [];
		let effects: Effects | undefined;
		// Small steps while webhooks are arriving (each holds the event loop for less), big ones to catch up.
		const limit = this.#pacer.resting() ? this.#pressureBatchSize : this.#batchSize;
		try {
			effects = await transaction(this.#db, async (client) => {
				({ rows: claimed } = await client.query<ClaimedEvent>(
					`select id, workspace_id, connection_id, platform, event_id, kind, payload, attempts
					   from inbound_events where processed_at is null
					  order by id limit $1 for update skip locked`,
					[limit]
				));
				return claimed.length === 0 ? undefined : await this.#apply(client, claimed);
			});
			if (claimed.length === 0) return false;
		} catch (error) {
			if (isDatabaseUnavailable(error)) throw error;
			if (RETRY_CODES.has((error as { code?: string }).code ?? '')) return true;
			log.warn('batch_failed', { events: claimed.length, error: errorMessage(error) });
			effects = undefined;
		}
		// A batch that failed as a whole is taken one event at a time, so one bad event only stops itself.
		if (!effects) effects = await this.#oneByOne(claimed);
		await this.#after(effects);
		return claimed.length === limit;
	}

	async #oneByOne(events: ClaimedEvent[]): Promise<Effects> {
		const all: Effects = { messages: [], reopened: [], orders: new Map(), customers: new Map(), connections: new Set() };
		for (const event of events) {
			try {
				const effects = await transaction(this.#db, async (client) => {
					const { rows } = await client.query<ClaimedEvent>(
						`select id, workspace_id, connection_id, platform, event_id, kind, payload, attempts
						   from inbound_events where id = $1 and processed_at is null for update skip locked`,
						[event.id]
					);
					return rows.length === 0 ? undefined : await this.#apply(client, rows);
				});
				if (!effects) continue;
				all.messages.push(...effects.messages);
				all.reopened.push(...effects.reopened);
				for (const [k, v] of effects.orders) all.orders.set(k, new Set([...(all.orders.get(k) ?? []), ...v]));
				for (const [k, v] of effects.customers) all.customers.set(k, new Set([...(all.customers.get(k) ?? []), ...v]));
				for (const id of effects.connections) all.connections.add(id);
			} catch (error) {
				if (isDatabaseUnavailable(error)) throw error;
				const giveUp = event.attempts + 1 >= this.#maxAttempts;
				await this.#db.query(
					`update inbound_events set attempts = attempts + 1, last_error = $2, processed_at = case when $3 then now() end where id = $1`,
					[event.id, errorMessage(error).slice(0, 500), giveUp]
				);
				log.error(giveUp ? 'event_set_aside' : 'event_failed', {
					event_row: event.id,
					connection_id: event.connection_id,
					platform: event.platform,
					attempts: event.attempts + 1,
					error: errorMessage(error)
				});
			}
		}
		return all;
	}

	/** Everything a set of claimed events means, inside the caller's transaction. */
	async #apply(client: pg.PoolClient, claimed: ClaimedEvent[]): Promise<Effects> {
		const effects: Effects = { messages: [], reopened: [], orders: new Map(), customers: new Map(), connections: new Set() };
		const parsed = claimed.map((row) => ({ row, event: storedEvent.parse(row.payload) as StoredEvent }));
		// One lock order for every runner: by connection, then thread (no deadlocks between batches).
		parsed.sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
		const messages = parsed.filter((p): p is { row: ClaimedEvent; event: MessageEvent } => p.event.type === 'message');
		if (messages.length > 0) await this.#messages(client, messages, effects);
		for (const { row, event } of parsed) if (event.type === 'order_update') await this.#orderUpdate(client, row, event, effects);
		await client.query(`update inbound_events set processed_at = now(), attempts = attempts + 1, last_error = null where id = any($1::bigint[])`, [
			claimed.map((r) => r.id)
		]);
		for (const row of claimed) effects.connections.add(row.connection_id);
		return effects;
	}

	/**
	 * Every message event of the batch in four set-based statements (identities, conversations,
	 * messages, conversation columns), whatever the batch size: the round trips, not the rows, are
	 * what a batch costs.
	 */
	async #messages(client: pg.PoolClient, items: { row: ClaimedEvent; event: MessageEvent }[], effects: Effects): Promise<void> {
		const identities = await upsertIdentities(client, items);

		// Conversations: one per (connection, thread), opened by the first customer who names it.
		const threads = new Map<string, { row: ClaimedEvent; event: MessageEvent; identity?: Identity }>();
		for (const item of items) {
			const k = `${item.row.connection_id}|${item.event.threadId}`;
			const identity = item.event.customer ? identities.get(`${item.row.connection_id}|${item.event.customer.externalId}`) : undefined;
			const known = threads.get(k);
			if (!known || (!known.identity && identity)) threads.set(k, { ...item, identity });
		}
		const openable = [...threads.values()].filter((t) => t.identity);
		const conversations = new Map<string, { id: string; status: string }>();
		if (openable.length > 0) {
			const { rows } = await client.query<{ id: string; status: string; connection_id: string; external_thread_id: string }>(
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
			for (const r of rows) conversations.set(`${r.connection_id}|${r.external_thread_id}`, { id: r.id, status: r.status });
		}
		const unnamed = [...threads.entries()].filter(([k, t]) => !t.identity && !conversations.has(k));
		if (unnamed.length > 0) {
			// Seller messages that do not name the customer can only join a conversation we know.
			const { rows } = await client.query<{ id: string; status: string; connection_id: string; external_thread_id: string }>(
				`select c.id, c.status, c.connection_id, c.external_thread_id from conversations c
				   join unnest($1::uuid[], $2::text[]) as u (connection_id, thread) on c.connection_id = u.connection_id and c.external_thread_id = u.thread
				  order by c.connection_id, c.external_thread_id for update of c`,
				[unnamed.map(([, t]) => t.row.connection_id), unnamed.map(([, t]) => t.event.threadId)]
			);
			for (const r of rows) conversations.set(`${r.connection_id}|${r.external_thread_id}`, { id: r.id, status: r.status });
		}

		const placed = items.filter((i) => conversations.has(`${i.row.connection_id}|${i.event.threadId}`));
		if (placed.length < items.length) log.info('seller_messages_without_conversation', { events: items.length - placed.length });
		for (const { row, event } of placed) if (event.orderRef) addOrder(effects, row.connection_id, event.orderRef);
		for (const { row, event } of placed) {
			if (event.from !== 'customer' || !event.customer) continue;
			const set = effects.customers.get(row.connection_id) ?? new Set<string>();
			set.add(event.customer.externalId);
			effects.customers.set(row.connection_id, set);
		}
		if (placed.length === 0) return;

		const conversationOf = (i: { row: ClaimedEvent; event: MessageEvent }) => conversations.get(`${i.row.connection_id}|${i.event.threadId}`)!;
		const { rows: inserted } = await client.query<MirrorRow & { connection_id: string; platform_message_id: string }>(
			`with inserted as (
			   insert into messages (workspace_id, conversation_id, connection_id, platform_message_id, direction, sender_type, body, attachments, delivery_state, sent_at)
			   select w, c, k, m, d, st, b, a, ds, t
			     from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[], $8::jsonb[], $9::text[], $10::timestamptz[])
			          as u (w, c, k, m, d, st, b, a, ds, t)
			   on conflict (connection_id, platform_message_id) do nothing
			   returning ${MIRROR_COLUMNS}, connection_id, platform_message_id
			 ), queued as (${queueMirrorSql('inserted')})
			 select * from inserted`,
			[
				placed.map((i) => i.row.workspace_id),
				placed.map((i) => conversationOf(i).id),
				placed.map((i) => i.row.connection_id),
				placed.map((i) => i.event.platformMessageId),
				placed.map((i) => (i.event.from === 'customer' ? 'in' : 'out')),
				placed.map((i) => (i.event.from === 'customer' ? 'customer' : 'agent')),
				placed.map((i) => i.event.text),
				placed.map((i) => JSON.stringify(i.event.attachments)),
				placed.map((i) => (i.event.from === 'customer' ? null : 'sent')),
				placed.map((i) => i.event.sentAt)
			]
		);
		if (inserted.length === 0) return; // all redelivered: already stored

		// What the new messages change on each conversation.
		const byMessage = new Map(placed.map((i) => [`${i.row.connection_id}|${i.event.platformMessageId}`, i]));
		const changes = new Map<string, ConversationChange>();
		for (const message of inserted) {
			const item = byMessage.get(`${message.connection_id}|${message.platform_message_id}`)!;
			const conversation = conversationOf(item);
			const change = changes.get(conversation.id) ?? newChange(conversation, item.row);
			const at = item.event.sentAt;
			const fromCustomer = item.event.from === 'customer';
			change.count += 1;
			if (!change.lastAt || at >= change.lastAt) {
				change.lastAt = at;
				change.preview = preview(item.event);
			}
			if (fromCustomer) {
				change.customerCount += 1;
				if (!change.lastCustomerAt || at > change.lastCustomerAt) change.lastCustomerAt = at;
				if (item.event.replyToken) change.replyToken = item.event.replyToken;
			} else if (!change.lastSellerAt || at > change.lastSellerAt) {
				change.lastSellerAt = at;
			}
			changes.set(conversation.id, change);
			effects.messages.push({ ...message, platform: item.row.platform });
		}
		const list = [...changes.values()];
		for (const c of list) c.reopen = c.customerCount > 0 && (c.status === 'resolved' || c.status === 'snoozed');
		await client.query(
			`update conversations c set
			   last_message_preview = case when u.last_at >= c.last_message_at then u.preview else c.last_message_preview end,
			   last_message_at = greatest(c.last_message_at, u.last_at),
			   message_count = c.message_count + u.n,
			   unread_count = case when u.seller_at is not null and (u.customer_at is null or u.seller_at > u.customer_at) then 0 else c.unread_count + u.customer_n end,
			   last_customer_message_at = case when u.customer_at is null then c.last_customer_message_at else greatest(coalesce(c.last_customer_message_at, u.customer_at), u.customer_at) end,
			   -- a seller message counts as the first response only when a customer had written before it
			   first_response_at = case when c.first_response_at is null and u.seller_at > least(c.last_customer_message_at, u.customer_at) then u.seller_at else c.first_response_at end,
			   reply_token = coalesce(u.reply_token, c.reply_token),
			   reply_token_at = case when u.reply_token is null then c.reply_token_at else now() end,
			   status = case when u.reopen then 'open' else c.status end,
			   snoozed_until = case when u.reopen then null else c.snoozed_until end,
			   updated_at = now()
			  from unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::int[], $5::int[], $6::timestamptz[], $7::timestamptz[], $8::text[], $9::bool[])
			       as u (id, last_at, preview, n, customer_n, customer_at, seller_at, reply_token, reopen)
			 where c.id = u.id`,
			[
				list.map((c) => c.id),
				list.map((c) => c.lastAt),
				list.map((c) => c.preview),
				list.map((c) => c.count),
				list.map((c) => c.customerCount),
				list.map((c) => c.lastCustomerAt),
				list.map((c) => c.lastSellerAt),
				list.map((c) => c.replyToken),
				list.map((c) => c.reopen)
			]
		);
		const reopened = list.filter((c) => c.reopen);
		if (reopened.length > 0) {
			await client.query(
				`insert into conversation_events (workspace_id, conversation_id, actor_id, kind, data)
				 select w, c, null, 'status', jsonb_build_object('from', s, 'to', 'open', 'reason', 'customer_message')
				   from unnest($1::uuid[], $2::uuid[], $3::text[]) as u (w, c, s)`,
				[reopened.map((c) => c.workspaceId), reopened.map((c) => c.id), reopened.map((c) => c.status)]
			);
			for (const c of reopened) effects.reopened.push({ workspaceId: c.workspaceId, conversationId: c.id, platform: c.platform });
		}
	}

	async #orderUpdate(client: pg.PoolClient, row: ClaimedEvent, event: OrderUpdateEvent, effects: Effects): Promise<void> {
		await client.query(
			`insert into orders (workspace_id, connection_id, external_order_id, status, customer_external_id, contact_identity_id)
			 values ($1, $2, $3, $4, $5, (select id from contact_identities where connection_id = $2 and external_id = $5))
			 on conflict (connection_id, external_order_id) do update set
			   status = excluded.status,
			   customer_external_id = coalesce(excluded.customer_external_id, orders.customer_external_id),
			   contact_identity_id = coalesce(excluded.contact_identity_id, orders.contact_identity_id)`,
			[row.workspace_id, row.connection_id, event.orderId, event.status, event.customerId ?? null]
		);
		addOrder(effects, row.connection_id, event.orderId);
	}

	async #after(effects: Effects): Promise<void> {
		if (effects.messages.length > 0) {
			await this.#mirror.push(effects.messages, (m) => ({ source: 'connector', platform: (m as MirrorRow & { platform: string }).platform }));
		}
		for (const r of effects.reopened) {
			await this.#live
				.setMeta(r.workspaceId, r.conversationId, { status: 'open', snoozedUntil: null }, { source: 'connector', platform: r.platform })
				.catch((error) => log.warn('reopen_mirror_failed', { conversation_id: r.conversationId, error: errorMessage(error) }));
		}
		if (this.#orders) {
			for (const [connectionId, ids] of effects.orders) this.#orders.refreshLater(connectionId, { orderIds: [...ids] });
		}
		if (this.#profiles) {
			for (const [connectionId, ids] of effects.customers) this.#profiles.refreshLater(connectionId, [...ids]);
		}
		if (effects.connections.size > 0) {
			// "Last event received" on the connection's card, to the minute (most passes write nothing), outside the
			// ingest transaction so that it never holds a connection row.
			await this.#db
				.query(
					`update platform_connections set last_event_at = now()
					  where id = any($1::uuid[]) and (last_event_at is null or last_event_at < now() - interval '1 minute')`,
					[[...effects.connections].sort()]
				)
				.catch((error) => log.warn('last_event_failed', { error: errorMessage(error) }));
		}
	}
}

function key({ row, event }: { row: ClaimedEvent; event: StoredEvent }): string {
	return `${row.connection_id}|${event.type === 'message' ? event.threadId : '~' + event.orderId}`;
}

function addOrder(effects: Effects, connectionId: string, orderId: string): void {
	const set = effects.orders.get(connectionId) ?? new Set<string>();
	set.add(orderId);
	effects.orders.set(connectionId, set);
}

function preview(event: MessageEvent): string {
	const text = event.text.replace(/\s+/g, ' ').trim();
	if (text) return [...text].slice(0, 140).join('');
	const kind = event.attachments[0]?.kind;
	return kind ? `[${kind}]` : '';
}

interface Identity {
	id: string;
	contact_id: string;
}

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
	reopen: boolean;
}

function newChange(conversation: { id: string; status: string }, row: ClaimedEvent): ConversationChange {
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
		replyToken: null,
		reopen: false
	};
}

/**
 * The identity (and contact) of every customer the batch names, by `connection|externalId`. Known
 * ones in one select; new ones in one insert that creates the contact only for an identity it
 * really inserted (both in one statement; the foreign key is checked at its end), so a concurrent
 * first message never leaves an orphan contact; what a concurrent batch inserted meanwhile is read
 * after.
 */
async function upsertIdentities(client: pg.PoolClient, items: { row: ClaimedEvent; event: MessageEvent }[]): Promise<Map<string, Identity>> {
	const wanted = new Map<string, { row: ClaimedEvent; customer: { externalId: string; name?: string } }>();
	for (const { row, event } of items) {
		if (!event.customer) continue;
		const k = `${row.connection_id}|${event.customer.externalId}`;
		const known = wanted.get(k);
		if (!known || (!known.customer.name && event.customer.name)) wanted.set(k, { row, customer: event.customer });
	}
	const found = new Map<string, Identity>();
	if (wanted.size === 0) return found;
	const select = async (keys: string[]) => {
		const list = keys.map((k) => wanted.get(k)!);
		const { rows } = await client.query<Identity & { connection_id: string; external_id: string }>(
			`select ci.id, ci.contact_id, ci.connection_id, ci.external_id from contact_identities ci
			   join unnest($1::uuid[], $2::text[]) as u (connection_id, external_id) on ci.connection_id = u.connection_id and ci.external_id = u.external_id`,
			[list.map((w) => w.row.connection_id), list.map((w) => w.customer.externalId)]
		);
		for (const r of rows) found.set(`${r.connection_id}|${r.external_id}`, { id: r.id, contact_id: r.contact_id });
	};
	await select([...wanted.keys()]);
	const missing = [...wanted.keys()].filter((k) => !found.has(k)).sort();
	if (missing.length === 0) return found;
	const list = missing.map((k) => wanted.get(k)!);
	const { rows } = await client.query<Identity & { connection_id: string; external_id: string }>(
		`with input as (
		   select * from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[])
		          as u (workspace_id, contact_id, connection_id, platform, external_id, name, display_name)
		 ), identity as (
		   insert into contact_identities (workspace_id, contact_id, connection_id, platform, external_id, profile)
		   select workspace_id, contact_id, connection_id, platform, external_id,
		          case when name is null then '{}'::jsonb else jsonb_build_object('name', name) end
		     from input order by connection_id, external_id
		   on conflict (connection_id, external_id) do nothing
		   returning id, contact_id, connection_id, external_id
		 ), contact as (
		   insert into contacts (id, workspace_id, display_name)
		   select identity.contact_id, input.workspace_id, input.display_name
		     from identity join input on input.contact_id = identity.contact_id
		   returning id
		 )
		 select identity.* from identity where exists (select 1 from contact where contact.id = identity.contact_id)`,
		[
			list.map((w) => w.row.workspace_id),
			list.map(() => randomUUID()),
			list.map((w) => w.row.connection_id),
			list.map((w) => w.row.platform),
			list.map((w) => w.customer.externalId),
			list.map((w) => w.customer.name?.trim() || null),
			list.map((w) => (w.customer.name?.trim() || `${w.row.platform} customer ${w.customer.externalId.slice(-4)}`).slice(0, 120))
		]
	);
	for (const r of rows) found.set(`${r.connection_id}|${r.external_id}`, { id: r.id, contact_id: r.contact_id });
	const raced = missing.filter((k) => !found.has(k));
	if (raced.length > 0) await select(raced);
	return found;
}

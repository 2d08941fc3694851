import type pg from 'pg';
import { isDatabaseUnavailable, transaction, type Pool } from '../../src/lib/server/db.ts';
import type { LiveDocuments } from '../../src/lib/server/ports.ts';
import { mirrorReopened } from '../../src/lib/server/commands/status.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { DrainLoop } from './drain-loop.ts';
import { MirrorQueue, mirrorSweep, type MirrorRow } from './mirror.ts';
import { addOrder, applyMessages, lockKey, noEffects, type ClaimedEvent, type Effects, type MessageItem } from './ingest-messages.ts';
import { Pacer } from './pacing.ts';
import { storedEvent, type StoredEvent } from './stored-event.ts';
import type { OrdersService } from './orders.ts';
import type { ProfileFetcher } from './profiles.ts';
import type { OrderUpdateEvent as NormalizedOrderUpdate } from '../types.ts';
import { conversationsChanged } from '../../src/lib/server/workspace-feed.ts';

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
		const all: Effects = noEffects();
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
		const effects: Effects = noEffects();
		const parsed = claimed.map((row) => ({ row, event: storedEvent.parse(row.payload) as StoredEvent }));
		// One lock order for every runner: by connection, then thread (no deadlocks between batches).
		parsed.sort((a, b) => (lockKey(a) < lockKey(b) ? -1 : lockKey(a) > lockKey(b) ? 1 : 0));
		const messages = parsed.filter((p): p is MessageItem => p.event.type === 'message');
		if (messages.length > 0) await applyMessages(client, messages, effects);
		for (const { row, event } of parsed) if (event.type === 'order_update') await this.#orderUpdate(client, row, event, effects);
		await client.query(`update inbound_events set processed_at = now(), attempts = attempts + 1, last_error = null where id = any($1::bigint[])`, [
			claimed.map((r) => r.id)
		]);
		for (const row of claimed) effects.connections.add(row.connection_id);
		return effects;
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
		// Committed: every member's list hears of it now, before the documents are written.
		conversationsChanged(effects.messages.map((m) => ({ workspaceId: m.workspace_id, conversationId: m.conversation_id })));
		if (effects.messages.length > 0) {
			await this.#mirror.push(effects.messages, (m) => ({ source: 'connector', platform: (m as MirrorRow & { platform: string }).platform }));
		}
		await mirrorReopened(
			this.#live,
			effects.reopened.map((r) => ({ ...r, origin: { source: 'connector', platform: r.platform } }))
		);
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

import type { Pool, Queryable } from '../../src/lib/server/db.ts';
import type { WorkspaceScope } from '../../src/lib/server/scope.ts';
import type { ConversationOrders, OrderView } from '../../src/lib/server/platforms.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { callContext, type ConnectionCache, type ConnectorRegistry, type PlatformEndpoints } from './connections.ts';
import type { Order, OrderLookup, Platform } from '../types.ts';

/**
 * The customer's orders beside the chat, for the shops (Shopee, Lazada, TikTok Shop): fetched
 * through the connector, cached in `orders`, refreshed when an order push or an order card names
 * an order, and when an agent opens the conversation and the cache is old.
 */

const log = logger('orders');

export interface OrdersServiceOptions {
	db: Pool;
	connectors: ConnectorRegistry;
	connections: ConnectionCache;
	endpoints: PlatformEndpoints;
	/** Cached orders older than this are fetched again when read. @default 10 minutes */
	maxAgeMs?: number;
	/** A conversation's orders are not fetched again within this time when the last try failed or found none. @default 60 s */
	retryAfterMs?: number;
}

interface OrderRow {
	external_order_id: string;
	status: string;
	currency: string | null;
	total: string | null;
	items: OrderView['items'];
	tracking: OrderView['tracking'];
	placed_at: Date | null;
	fetched_at: Date;
}

export class OrdersService {
	readonly #options: OrdersServiceOptions;
	readonly #pending = new Set<Promise<unknown>>();
	readonly #lastTry = new Map<string, number>();

	constructor(options: OrdersServiceOptions) {
		this.#options = options;
	}

	/** Refreshes in the background (after an ingest commit); failures are logged, the push's status stays. */
	refreshLater(connectionId: string, lookup: OrderLookup): void {
		const task = this.refresh(connectionId, lookup)
			.catch((error) => log.warn('refresh_failed', { connection_id: connectionId, error: errorMessage(error) }))
			.finally(() => this.#pending.delete(task));
		this.#pending.add(task);
	}

	async idle(): Promise<void> {
		while (this.#pending.size > 0) await Promise.allSettled([...this.#pending]);
	}

	/** Fetches orders from the shop and upserts them; returns how many. No-op for chat-only platforms. */
	async refresh(connectionId: string, lookup: OrderLookup, customerHint?: string): Promise<number> {
		const connection = await this.#options.connections.get(connectionId);
		if (!connection || connection.status !== 'active') return 0;
		const connector = this.#options.connectors[connection.platform];
		if (!connector.orders) return 0;
		const kind = 'customerId' in lookup ? 'customer' : 'order_ids';
		if (!connector.capabilities.orderLookup.includes(kind)) return 0;
		if ('orderIds' in lookup && lookup.orderIds.length === 0) return 0;
		const orders = await connector.orders(lookup, callContext(connection, this.#options.endpoints));
		await upsertOrders(this.#options.db, connection.workspaceId, connectionId, orders, customerHint);
		log.info('refreshed', { connection_id: connectionId, platform: connection.platform, orders: orders.length });
		return orders.length;
	}

	/** The orders API and the inbox: cached orders, refreshed first when old or asked to. */
	async conversationOrders(scope: WorkspaceScope, conversationId: string, options: { refresh?: boolean } = {}): Promise<ConversationOrders | null> {
		scope.require('read');
		const { db, connectors } = this.#options;
		const { rows } = await db.query<{ connection_id: string; platform: Platform; identity_id: string; customer_id: string }>(
			`select c.connection_id, c.platform, ci.id as identity_id, ci.external_id as customer_id
			   from conversations c join contact_identities ci on ci.id = c.contact_identity_id
			  where c.id = $1 and c.workspace_id = $2`,
			[conversationId, scope.workspaceId]
		);
		const conversation = rows[0];
		if (!conversation) return null;
		const connector = connectors[conversation.platform];
		if (!connector.orders || connector.capabilities.orderLookup.length === 0) return { supported: false, orders: [], stale: false };

		let cached = await readCached(db, conversation.connection_id, conversation.identity_id, conversation.customer_id);
		const old = cached.length === 0 || cached.some((o) => Date.now() - o.fetched_at.getTime() > (this.#options.maxAgeMs ?? 600_000));
		const lastTry = this.#lastTry.get(conversationId) ?? 0;
		const mayTry = options.refresh || Date.now() - lastTry > (this.#options.retryAfterMs ?? 60_000);
		let stale = false;
		if ((old || options.refresh) && mayTry) {
			this.#lastTry.set(conversationId, Date.now());
			if (this.#lastTry.size > 10_000) this.#lastTry.delete(this.#lastTry.keys().next().value!);
			const lookup: OrderLookup | null = connector.capabilities.orderLookup.includes('customer')
				? { customerId: conversation.customer_id }
				: cached.length > 0
					? { orderIds: cached.map((o) => o.external_order_id) }
					: null;
			if (lookup) {
				try {
					await this.refresh(conversation.connection_id, lookup, conversation.customer_id);
					cached = await readCached(db, conversation.connection_id, conversation.identity_id, conversation.customer_id);
				} catch (error) {
					stale = true;
					log.warn('refresh_failed', { conversation_id: conversationId, platform: conversation.platform, error: errorMessage(error) });
				}
			}
		}
		return { supported: true, stale, orders: cached.map(toView) };
	}
}

async function readCached(db: Queryable, connectionId: string, identityId: string, customerId: string): Promise<OrderRow[]> {
	const { rows } = await db.query<OrderRow>(
		`select external_order_id, status, currency, total::text as total, items, tracking, placed_at, fetched_at
		   from orders where connection_id = $1 and (contact_identity_id = $2 or customer_external_id = $3)
		  order by placed_at desc nulls last, fetched_at desc limit 20`,
		[connectionId, identityId, customerId]
	);
	return rows;
}

function toView(row: OrderRow): OrderView {
	return {
		externalOrderId: row.external_order_id,
		status: row.status,
		currency: row.currency,
		total: row.total,
		items: Array.isArray(row.items) ? row.items : [],
		tracking: row.tracking ?? {},
		placedAt: row.placed_at?.toISOString() ?? null,
		fetchedAt: row.fetched_at.toISOString()
	};
}

async function upsertOrders(db: Queryable, workspaceId: string, connectionId: string, orders: Order[], customerHint?: string): Promise<void> {
	for (const order of orders) {
		const customer = order.customerId ?? customerHint ?? null;
		await db.query(
			`insert into orders (workspace_id, connection_id, external_order_id, status, currency, total, items, tracking, placed_at, customer_external_id, contact_identity_id, fetched_at)
			 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, (select id from contact_identities where connection_id = $2 and external_id = $10), now())
			 on conflict (connection_id, external_order_id) do update set
			   status = excluded.status, currency = excluded.currency, total = excluded.total, items = excluded.items,
			   tracking = excluded.tracking, placed_at = excluded.placed_at, fetched_at = now(),
			   customer_external_id = coalesce(excluded.customer_external_id, orders.customer_external_id),
			   contact_identity_id = coalesce(excluded.contact_identity_id, orders.contact_identity_id)`,
			[
				workspaceId,
				connectionId,
				order.externalOrderId,
				order.status,
				order.currency,
				order.total,
				JSON.stringify(order.items),
				JSON.stringify(order.tracking),
				order.placedAt,
				customer
			]
		);
		if (customer && order.customerName) await nameFromOrder(db, connectionId, customer, order.customerName);
	}
}

/**
 * The marketplaces have no profile to fetch: the buyer's name on an order names a customer whom the
 * chat left unnamed, the way a fetched profile does (`contacts.display_name`; an agent's own
 * `custom_name` stays apart). A name the chat or a profile gave is kept.
 */
async function nameFromOrder(db: Queryable, connectionId: string, customerId: string, customerName: string): Promise<void> {
	const name = customerName.trim().slice(0, 120);
	if (!name) return;
	await db.query(
		`with identity as (
		   update contact_identities set profile = profile || jsonb_build_object('name', $3::text, 'nameFrom', 'order')
		    where connection_id = $1 and external_id = $2 and coalesce(profile->>'name', '') = ''
		   returning contact_id
		 )
		 update contacts set display_name = $3, updated_at = now() where id in (select contact_id from identity)`,
		[connectionId, customerId, name]
	);
}

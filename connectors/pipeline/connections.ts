import type { Queryable } from '../../src/lib/server/db.ts';
import type { KeyRing } from '../../src/lib/server/crypto.ts';
import { openActiveConnections, openConnection, openConnectionByAccount, webhookUrl, type OpenConnection } from '../../src/lib/server/connections.ts';
import type { CallContext, Connector, Platform } from '../types.ts';

/** Every connector by platform; built once in server/app.ts. */
export type ConnectorRegistry = Readonly<Record<Platform, Connector<any>>>;

export interface PlatformEndpoints {
	/** The public origin webhook URLs are built on (Shopee signs the URL). Falls back to the request's Host. */
	origin: string | undefined;
	/** CHATMAI_<PLATFORM>_API_URL: the operator's override of a platform's API host, above any per-connection one. */
	apiUrls: Partial<Record<Platform, string>>;
	/** CHATMAI_<PLATFORM>_AUTH_URL: the host of the platform's authorization page and token service. */
	authUrls?: Partial<Record<Platform, string>>;
	/**
	 * Whether a connection's own `apiBaseUrl` is honoured (test mode only: src/lib/server/outbound.ts).
	 * Elsewhere a stored one is ignored, so a connection can never send its token to a host of its choosing.
	 * @default false
	 */
	connectionApiUrls?: boolean;
	/** Timeout of each call to a platform, in ms. @default 10000 */
	timeoutMs?: number;
	/** Injected in tests. @default globalThis.fetch */
	fetch?: typeof fetch;
}

/** The context a connector's send, orders and revoke calls need, for one open connection. */
export function callContext(connection: OpenConnection, endpoints: PlatformEndpoints, origin?: string): CallContext<unknown> {
	return {
		config: {
			externalId: connection.externalId,
			webhookUrl: webhookUrl(endpoints.origin ?? origin ?? 'http://localhost', connection.platform, connection.id),
			apiBaseUrl: endpoints.apiUrls[connection.platform] ?? (endpoints.connectionApiUrls ? connection.apiBaseUrl : undefined),
			authBaseUrl: endpoints.authUrls?.[connection.platform],
			verifyToken: connection.verifyToken ?? undefined,
			settings: connection.settings
		},
		credentials: connection.credentials,
		fetch: endpoints.fetch,
		timeoutMs: endpoints.timeoutMs
	};
}

export interface ConnectionCacheOptions {
	db: Queryable;
	keyRing: KeyRing;
	/** Each connector re-validates its decrypted credentials (and fills its defaults). */
	connectors: ConnectorRegistry;
	/**
	 * How long a looked-up connection is reused, in ms. A disconnect on this instance drops it at
	 * once (`forget`); another instance's disconnect is seen within this time, and the row insert
	 * refuses events of a disconnected connection anyway. @default 5000
	 */
	ttlMs?: number;
	/** @default 10000 */
	maxEntries?: number;
}

/**
 * Connections with their decrypted credentials, kept for a few seconds so a burst of webhooks
 * costs one lookup and one decryption. Concurrent misses for one id share one query.
 */
export class ConnectionCache {
	readonly #options: Required<ConnectionCacheOptions>;
	readonly #entries = new Map<string, { expires: number; value: Promise<OpenConnection | null> }>();
	readonly #accounts = new Map<string, { expires: number; value: Promise<OpenConnection | null> }>();

	constructor(options: ConnectionCacheOptions) {
		this.#options = { ttlMs: 5_000, maxEntries: 10_000, ...options };
	}

	get(id: string): Promise<OpenConnection | null> {
		const now = Date.now();
		const hit = this.#entries.get(id);
		if (hit && hit.expires > now) return hit.value;
		const value = openConnection(this.#options.db, this.#options.keyRing, id).then((connection) => this.#withCredentials(connection));
		this.#entries.set(id, { expires: now + this.#options.ttlMs, value });
		// A failed lookup (database down) is not remembered.
		value.catch(() => {
			if (this.#entries.get(id)?.value === value) this.#entries.delete(id);
		});
		if (this.#entries.size > this.#options.maxEntries) this.#entries.delete(this.#entries.keys().next().value!);
		return value;
	}

	/**
	 * The active connection of a platform account, or null. A hit is reused like `get`; a miss is not
	 * remembered, so an account connected a moment ago is found at once.
	 */
	byAccount(platform: Platform, externalId: string): Promise<OpenConnection | null> {
		const key = `${platform}\u0000${externalId}`;
		const now = Date.now();
		const hit = this.#accounts.get(key);
		if (hit && hit.expires > now) return hit.value;
		const value = openConnectionByAccount(this.#options.db, this.#options.keyRing, platform, externalId).then((connection) => this.#withCredentials(connection));
		this.#accounts.set(key, { expires: now + this.#options.ttlMs, value });
		value.then(
			(connection) => {
				if (!connection && this.#accounts.get(key)?.value === value) this.#accounts.delete(key);
			},
			() => {
				if (this.#accounts.get(key)?.value === value) this.#accounts.delete(key);
			}
		);
		if (this.#accounts.size > this.#options.maxEntries) this.#accounts.delete(this.#accounts.keys().next().value!);
		return value;
	}

	/** Every active connection of a platform, at most `limit`: for a signed body that names no account. Not cached. */
	async active(platform: Platform, limit: number): Promise<OpenConnection[]> {
		const rows = await openActiveConnections(this.#options.db, this.#options.keyRing, platform, limit);
		return rows.map((connection) => this.#withCredentials(connection)!);
	}

	#withCredentials(connection: OpenConnection | null): OpenConnection | null {
		if (connection?.credentials === undefined) return connection;
		return { ...connection, credentials: this.#options.connectors[connection.platform].credentialSchema.parse(connection.credentials) };
	}

	forget(id: string): void {
		this.#entries.delete(id);
		for (const [key, entry] of this.#accounts) {
			entry.value.then(
				(connection) => {
					if (connection?.id === id && this.#accounts.get(key) === entry) this.#accounts.delete(key);
				},
				() => undefined
			);
		}
	}

	clear(): void {
		this.#entries.clear();
		this.#accounts.clear();
	}
}

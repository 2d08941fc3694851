import { isDatabaseUnavailable, transaction, type Pool } from '../../src/lib/server/db.ts';
import type { KeyRing } from '../../src/lib/server/crypto.ts';
import { markNeedsReauthorization, nextRefreshAt, openConnection, sealCredentials } from '../../src/lib/server/connections.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { SendError } from '../shared/errors.ts';
import { DrainLoop } from './drain-loop.ts';
import { callContext, type ConnectionCache, type ConnectorRegistry, type PlatformEndpoints } from './connections.ts';

/**
 * Renews the access tokens that expire (Shopee: 4 hours; Lazada and TikTok Shop: days) before they do.
 *
 * Each connection carries `next_refresh_at` (set when its tokens were granted or last refreshed, at
 * three quarters of the token's life less a random jitter, so shops connected together do not all
 * refresh together). A pass claims due connections with a short lease (SKIP LOCKED, then commit:
 * no transaction waits on a platform), asks the connector to refresh, seals the new pair and sets
 * the next time. A network failure or 5xx is retried with exponential backoff and jitter; a refresh
 * token the platform refuses (or one past its own expiry) marks the connection
 * `needs_reauthorization` and tells its owners and admins; nothing here throws into the worker.
 *
 * Each pass also deletes granted accounts left unpicked past their expiry (pending_authorizations).
 *
 * Woken by the pg-boss schedule (`chatmai.tokens`, every minute, any one instance), by a timer set
 * to the earliest due refresh on this instance, and when a connection is (re)authorized.
 */

const log = logger('tokens');

export interface TokenRefresherOptions {
	db: Pool;
	keyRing: KeyRing;
	connectors: ConnectorRegistry;
	connections: ConnectionCache;
	endpoints: PlatformEndpoints;
	/** Connections per pass. @default 20 */
	batchSize?: number;
	/** How long a claimed refresh is reserved for this instance, in ms. @default 120000 */
	leaseMs?: number;
	/** First retry delay after a failed refresh, doubled each time. @default 60000 */
	backoffBaseMs?: number;
	/** @default 3600000 */
	backoffMaxMs?: number;
	/** Longest sleep of the in-process timer, in ms. @default 60000 */
	maxSleepMs?: number;
}

interface Claimed {
	id: string;
	workspace_id: string;
	platform: string;
	name: string;
	refresh_failures: number;
	refresh_token_expires_at: Date | null;
	access_token_expires_at: Date | null;
}

export class TokenRefresher {
	readonly #options: Required<Omit<TokenRefresherOptions, 'db' | 'keyRing' | 'connectors' | 'connections' | 'endpoints'>> & TokenRefresherOptions;
	readonly #loop: DrainLoop;
	#timer: NodeJS.Timeout | undefined;
	#stopped = false;

	constructor(options: TokenRefresherOptions) {
		this.#options = { batchSize: 20, leaseMs: 120_000, backoffBaseMs: 60_000, backoffMaxMs: 3_600_000, maxSleepMs: 60_000, ...options };
		this.#loop = new DrainLoop(() => this.pass(), { log, name: 'tokens' });
	}

	wake(): void {
		this.#loop.wake();
	}

	idle(): Promise<void> {
		return this.#loop.idle();
	}

	async stop(): Promise<void> {
		this.#stopped = true;
		clearTimeout(this.#timer);
		await this.#loop.stop();
	}

	/** One batch of due refreshes. Resolves true when there may be more. */
	async pass(): Promise<boolean> {
		const { db, batchSize, leaseMs } = this.#options;
		// Granted accounts nobody picked within their 15 minutes hold tokens too: they go first.
		await db.query(`delete from pending_authorizations where expires_at < now()`);
		const { rows } = await db.query<Claimed>(
			`update platform_connections c set next_refresh_at = now() + make_interval(secs => $2::double precision / 1000)
			  where c.id in (
			    select id from platform_connections
			     where status = 'active' and authorization_status = 'ok' and next_refresh_at <= now()
			     order by next_refresh_at limit $1 for no key update skip locked)
			 returning c.id, c.workspace_id, c.platform, c.name, c.refresh_failures, c.refresh_token_expires_at, c.access_token_expires_at`,
			[batchSize, leaseMs]
		);
		for (const row of rows) {
			try {
				await this.#refresh(row);
			} catch (error) {
				if (isDatabaseUnavailable(error)) throw error;
				// Anything unexpected (a credentials blob that no longer opens, a bug) waits and is tried again.
				log.error('refresh_crashed', { connection_id: row.id, platform: row.platform, error: errorMessage(error) });
				await this.#retryLater(row, 'internal', errorMessage(error)).catch(() => {});
			}
		}
		if (rows.length < batchSize) await this.#arm();
		return rows.length === batchSize;
	}

	async #refresh(row: Claimed): Promise<void> {
		const { db, keyRing, connectors, connections, endpoints } = this.#options;
		const connection = await openConnection(db, keyRing, row.id);
		if (!connection || connection.credentials === undefined) return; // disconnected meanwhile
		const connector = connectors[connection.platform];
		if (!connector.refresh) {
			await db.query(`update platform_connections set next_refresh_at = null where id = $1`, [row.id]);
			return;
		}
		const parsed = connector.credentialSchema.safeParse(connection.credentials);
		if (!parsed.success || !(parsed.data as { refreshToken?: string }).refreshToken) {
			await this.#needsReauthorization(row, 'no_refresh_token', 'This connection has no refresh token');
			return;
		}
		let result;
		try {
			result = await connector.refresh(callContext({ ...connection, credentials: parsed.data }, endpoints));
		} catch (error) {
			const sendError = error instanceof SendError ? error : null;
			if (sendError?.reason === 'permanent') {
				await this.#needsReauthorization(row, sendError.code ?? 'refresh_rejected', sendError.message);
			} else if (row.refresh_token_expires_at && row.refresh_token_expires_at.getTime() <= Date.now()) {
				await this.#needsReauthorization(row, 'refresh_expired', 'The refresh token has expired');
			} else {
				await this.#retryLater(row, sendError?.code ?? 'network', errorMessage(error));
			}
			return;
		}
		const sealed = sealCredentials(keyRing, row.id, result.credentials);
		const next = nextRefreshAt(result.tokens.accessTokenExpiresAt, new Date());
		await transaction(db, async (client) => {
			const updated = await client.query(
				`update platform_connections set access_token_expires_at = $2, refresh_token_expires_at = coalesce($3, refresh_token_expires_at),
				        next_refresh_at = $4, refresh_failures = 0, last_error_code = null, last_error = null, last_error_at = null
				  where id = $1 and status = 'active'`,
				[row.id, result.tokens.accessTokenExpiresAt, result.tokens.refreshTokenExpiresAt, next]
			);
			if (updated.rowCount === 0) return;
			await client.query(`update platform_credentials set key_id = $2, iv = $3, ciphertext = $4, auth_tag = $5, rotated_at = now() where connection_id = $1`, [
				row.id,
				sealed.keyId,
				sealed.iv,
				sealed.ciphertext,
				sealed.authTag
			]);
		});
		connections.forget(row.id);
		log.info('refreshed', { connection_id: row.id, platform: row.platform, expires_at: result.tokens.accessTokenExpiresAt?.toISOString() ?? null });
	}

	async #retryLater(row: Claimed, code: string, message: string): Promise<void> {
		const { backoffBaseMs, backoffMaxMs } = this.#options;
		const failures = row.refresh_failures + 1;
		const ceiling = Math.min(backoffMaxMs, backoffBaseMs * 2 ** (failures - 1));
		// Equal jitter: half the delay fixed, half random.
		const delay = ceiling / 2 + Math.random() * (ceiling / 2);
		await this.#options.db.query(
			`update platform_connections set refresh_failures = $2, next_refresh_at = now() + make_interval(secs => $3::double precision / 1000),
			        last_error_code = $4, last_error = $5, last_error_at = now()
			  where id = $1 and status = 'active'`,
			[row.id, failures, delay, code.slice(0, 80), message.slice(0, 500)]
		);
		log.warn('refresh_failed', { connection_id: row.id, platform: row.platform, failures, code, retry_in_ms: Math.round(delay) });
	}

	async #needsReauthorization(row: Claimed, code: string, message: string): Promise<void> {
		const marked = await markNeedsReauthorization(this.#options.db, row.id, code, message);
		this.#options.connections.forget(row.id);
		if (marked) log.warn('needs_reauthorization', { connection_id: row.id, workspace_id: row.workspace_id, platform: row.platform, code });
	}

	/** Sleeps until the earliest due refresh (at most `maxSleepMs`), then wakes the loop. */
	async #arm(): Promise<void> {
		if (this.#stopped) return;
		const { rows } = await this.#options.db.query<{ due: Date | null }>(
			`select min(next_refresh_at) as due from platform_connections where status = 'active' and authorization_status = 'ok' and next_refresh_at is not null`
		);
		const due = rows[0]?.due;
		clearTimeout(this.#timer);
		if (!due) return;
		const wait = Math.min(this.#options.maxSleepMs, Math.max(250, due.getTime() - Date.now()));
		this.#timer = setTimeout(() => this.wake(), wait);
		this.#timer.unref();
	}
}

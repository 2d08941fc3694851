import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDatabaseUnavailable, type Queryable } from '../../src/lib/server/db.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import type { OpenConnection } from '../../src/lib/server/connections.ts';
import { APP_KEY, appWebhookUrl, connectionWebhookUrl, webhookScope } from '../../src/lib/server/webhook-urls.ts';
import { MalformedPayloadError } from '../shared/errors.ts';
import { PLATFORMS, type Connector, type NormalizedEvent, type Platform, type WebhookRequest } from '../types.ts';
import { appVerifiers, type DeploymentApp } from './app-secrets.ts';
import type { ConnectionCache, ConnectorRegistry, PlatformEndpoints } from './connections.ts';
import type { GroupCommitter, InboundRow } from './group-commit.ts';
import { inboundRow } from './inbound-row.ts';
import { quarantine } from './quarantine.ts';
import type { WebhookCounters } from './webhook-counters.ts';

export { inboundRow };

/**
 * Stage 1 of the pipeline: the thin webhook route (model: Chatwoot's LINE controller). It checks
 * the signature on the raw bytes, stores one `inbound_events` row per normalized event under the
 * connection of the account the event names, and answers 2xx only after those rows are committed;
 * everything else happens in the ingest worker.
 *
 *   POST /webhooks/<platform>                  one URL per platform app (Meta, Shopee, Lazada, TikTok)
 *   POST /webhooks/<platform>/app/<appKey>     the same, where a deployment runs several apps
 *   POST /webhooks/<platform>/<connectionId>   LINE's URL per channel; for the others deprecated
 *                                              (404 unknown · 410 disconnected), routed the same way
 *   GET  any of them                           Meta's hub.challenge handshake
 *
 * Every event is filed under the active connection of the account id in the payload (Meta entry
 * id, LINE destination, shop or seller id), never under the URL's: a batch for several accounts is
 * split. A body is taken for an account only when that account's connection's secret verifies it
 * (app-secrets.ts). Answers: 413 too big · 401 bad signature or signed too long ago (nothing written) · 200 and dropped
 * (log line, counter) for an account with no active connection, since platforms retry other
 * answers for hours · 200 and quarantined for a signed body our parser cannot read · 400 for a
 * body that names no account and that no secret of the platform verifies · 503 database down.
 */

export interface WebhookRouteOptions {
	connectors: ConnectorRegistry;
	connections: ConnectionCache;
	committer: GroupCommitter;
	endpoints: PlatformEndpoints;
	/** Where quarantined bodies are written (the app's pool). */
	db: Queryable;
	counters: WebhookCounters;
	/** Largest body accepted, in bytes. @default 1 MiB */
	maxBodyBytes?: number;
	/** The deployment's own app on a platform, when configured (app-secrets.ts). @default none */
	app?: (platform: Platform) => DeploymentApp | null;
}

/**
 * How old a signed delivery may be ([C33]). Long enough for a platform's retries while this
 * instance was down (redeliveries are idempotent anyway); short enough that a webhook captured
 * long ago cannot be replayed, e.g. to bring back what retention purged.
 */
export const SIGNED_MAX_AGE_MS = 24 * 3_600_000;
/** How far in the future a signed time may be (clock skew). */
export const SIGNED_MAX_SKEW_MS = 10 * 60_000;

const PATH = /^\/webhooks\/([a-z]+)(?:\/(?:app\/([^/]+)|([0-9a-fA-F-]{36})))?\/?$/;

/** How many connections a body that names no account is tried against (it is only quarantined). */
const UNROUTED_VERIFY_LIMIT = 1000;

class BodyTooLarge extends Error {}

/** The acknowledgement, the route's hot path: as few header bytes as HTTP allows. */
const ACK_HEADERS = { 'content-length': '0', 'cache-control': 'no-store' };

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const declared = Number(req.headers['content-length'] ?? 0);
		if (declared > limit) {
			reject(new BodyTooLarge());
			return;
		}
		const chunks: Buffer[] = [];
		let size = 0;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) {
				req.removeAllListeners('data');
				req.resume();
				reject(new BodyTooLarge());
				return;
			}
			chunks.push(chunk);
		});
		req.on('end', () => resolve(Buffer.concat(chunks, size)));
		req.on('error', reject);
	});
}

function send(res: ServerResponse, status: number, body = '', type = 'text/plain; charset=utf-8', headers: Record<string, string> = {}): void {
	if (res.headersSent) return;
	res.writeHead(status, { 'content-type': type, 'content-length': String(Buffer.byteLength(body)), 'cache-control': 'no-store', ...headers });
	res.end(body);
}

function error(res: ServerResponse, status: number, code: string, message: string, headers?: Record<string, string>): void {
	send(res, status, JSON.stringify({ error: { code, message } }), 'application/json', headers);
}


export function createWebhookRoute(options: WebhookRouteOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
	const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
	const { connections, counters } = options;
	const log = logger('webhooks');
	/** Deprecated per-connection URLs already reported by this process: one log line each. */
	const deprecatedSeen = new Set<string>();

	return async function webhook(req, res) {
		const target = req.url ?? '/';
		const q = target.indexOf('?');
		const pathname = q === -1 ? target : target.slice(0, q);
		const search = q === -1 ? '' : target.slice(q);
		const match = PATH.exec(pathname);
		const platform = match?.[1] as Platform | undefined;
		if (!match || !platform || !PLATFORMS.includes(platform)) return error(res, 404, 'not_found', 'Unknown webhook');
		let appKey: string | undefined;
		if (match[2] !== undefined) {
			try {
				appKey = decodeURIComponent(match[2]);
			} catch {
				appKey = undefined;
			}
			if (appKey === undefined || !APP_KEY.test(appKey)) return error(res, 404, 'not_found', 'Unknown webhook');
		}
		const connectionId = match[3]?.toLowerCase();
		if (req.method !== 'POST' && req.method !== 'GET') return error(res, 405, 'method_not_allowed', 'Use POST', { allow: 'GET, POST' });
		const connector = options.connectors[platform];
		const origin = options.endpoints.origin ?? `http://${req.headers.host ?? 'localhost'}`;

		// The per-connection URL: the connection must exist and be active, as before.
		let urlConnection: OpenConnection | null = null;
		if (connectionId) {
			try {
				urlConnection = await connections.get(connectionId);
			} catch (e) {
				log.warn('lookup_failed', { platform, connection_id: connectionId, error: errorMessage(e) });
				return unavailable(res);
			}
			if (!urlConnection || urlConnection.platform !== platform) return error(res, 404, 'not_found', 'Unknown connection');
			if (urlConnection.status !== 'active') return error(res, 410, 'disconnected', 'This connection was disconnected');
		}
		const signedUrl = connectionId ? connectionWebhookUrl(origin, platform, connectionId) : appWebhookUrl(origin, platform, appKey);

		if (req.method === 'GET') return handshake(res, connector, new URL(signedUrl + search), urlConnection, platform, appKey);

		let rawBody: Buffer;
		try {
			rawBody = await readBody(req, maxBodyBytes);
		} catch (e) {
			if (e instanceof BodyTooLarge) {
				res.setHeader('connection', 'close');
				return error(res, 413, 'payload_too_large', `The body is larger than ${maxBodyBytes} bytes`);
			}
			throw e;
		}
		const request: WebhookRequest = { rawBody, headers: req.headers, url: signedUrl };
		if (urlConnection && webhookScope(platform) === 'app') deprecated(platform, urlConnection.id);

		// The common case on a per-connection URL, kept as cheap as before: its own secret verifies
		// and every event is its own account's.
		let parsed: NormalizedEvent[] | MalformedPayloadError | undefined;
		if (urlConnection && connector.verify(request, urlConnection.credentials)) {
			if (stale(connector, rawBody)) return refuseStale(res, platform, connectionId);
			parsed = parse(connector, rawBody);
			const own = urlConnection;
			if (Array.isArray(parsed) && parsed.every((event) => event.accountId === own.externalId)) {
				return store(res, platform, parsed.map((event) => inboundRow(own.workspaceId, own.id, platform, event)));
			}
		}

		// Route by the payload's account ids.
		const ids = connector.accountIds(rawBody);
		const routed = new Map<string, OpenConnection | null>();
		let pool: OpenConnection[];
		try {
			const found = await Promise.all(ids.map((id) => connections.byAccount(platform, id)));
			// A connection that is no longer active (or has lost its credentials) is no connection.
			ids.forEach((id, i) => routed.set(id, found[i]?.status === 'active' ? found[i] : null));
			pool = distinct([...found, urlConnection]);
			if (ids.length === 0 && !urlConnection) pool = await connections.active(platform, UNROUTED_VERIFY_LIMIT);
		} catch (e) {
			log.warn('lookup_failed', { platform, accounts: ids.length, error: errorMessage(e) });
			return unavailable(res);
		}
		const verifiers = appVerifiers(platform, appKey, pool, options.app?.(platform) ?? null);
		if (verifiers.length === 0) {
			if (ids.length === 0) {
				log.warn('unroutable', { platform, app_key: appKey, bytes: rawBody.length });
				return error(res, 400, 'unroutable', 'The body names no account of this platform');
			}
			// No active connection for any account it names: nothing to verify with, nothing to file.
			for (const id of ids) drop(platform, id, 'unknown_account', undefined);
			return acknowledge(res);
		}
		const vouched = new Map<string, OpenConnection>();
		for (const verifier of verifiers) {
			if (connector.verify(request, verifier.credentials)) for (const connection of verifier.vouchesFor) vouched.set(connection.id, connection);
		}
		if (vouched.size === 0) {
			log.warn('signature_rejected', { platform, connection_id: connectionId, app_key: appKey, bytes: rawBody.length, accounts: ids.length });
			// A body that names no account (not even JSON) and that no secret of the platform verifies is not a webhook.
			if (ids.length === 0 && !urlConnection) return error(res, 400, 'unroutable', 'The body names no account of this platform');
			return error(res, 401, 'bad_signature', 'The signature does not match');
		}
		if (stale(connector, rawBody)) return refuseStale(res, platform, connectionId);

		parsed ??= parse(connector, rawBody);
		if (parsed instanceof MalformedPayloadError) {
			// Kept under a connection only when it is known whose the body is: the one verified account
			// it names, or, naming none, the only connection that verified it (the URL's first).
			const verified = [...vouched.values()];
			const named = verified.filter((c) => ids.includes(c.externalId));
			const known =
				named.length === 1
					? named[0]
					: ids.length > 0
						? null
						: urlConnection && vouched.has(urlConnection.id)
							? urlConnection
							: verified.length === 1
								? verified[0]
								: null;
			try {
				await quarantine(options.db, {
					platform,
					appKey,
					connection: known ? { id: known.id, workspaceId: known.workspaceId } : null,
					verifiedConnectionIds: [...vouched.keys()],
					body: rawBody,
					error: parsed
				});
			} catch (e) {
				log.warn('quarantine_failed', { platform, error: errorMessage(e) });
				return unavailable(res);
			}
			counters.quarantined++;
			log.warn('quarantined', { platform, connection_id: known?.id, reason: parsed.reason, issues: parsed.issues.slice(0, 5).join('; ') });
			return acknowledge(res);
		}

		const rows: InboundRow[] = [];
		for (const event of parsed) {
			let connection = routed.get(event.accountId);
			if (connection === undefined) {
				// parse and accountIds read the same field; a connector that disagrees is still never trusted.
				connection = [...vouched.values()].find((c) => c.externalId === event.accountId) ?? null;
			}
			if (!connection) {
				drop(platform, event.accountId, 'unknown_account', event);
				continue;
			}
			if (!vouched.has(connection.id)) {
				drop(platform, event.accountId, 'unverified_account', event);
				continue;
			}
			if (urlConnection && connection.id !== urlConnection.id) {
				log.info('rerouted', { platform, url_connection_id: urlConnection.id, connection_id: connection.id });
			}
			rows.push(inboundRow(connection.workspaceId, connection.id, platform, event));
		}
		return store(res, platform, rows);
	};

	/** A verified body signed too long ago, or in the future beyond clock skew ([C33]). */
	function stale(connector: Connector<unknown>, rawBody: Uint8Array): boolean {
		const at = connector.signedAt?.(rawBody);
		if (!at) return false;
		const age = Date.now() - at.getTime();
		return age > SIGNED_MAX_AGE_MS || age < -SIGNED_MAX_SKEW_MS;
	}

	function refuseStale(res: ServerResponse, platform: Platform, connectionId: string | undefined): void {
		log.warn('signature_stale', { platform, connection_id: connectionId });
		return error(res, 401, 'stale_signature', 'The signature is valid but was made too long ago (or in the future); it is not accepted again');
	}

	async function store(res: ServerResponse, platform: Platform, rows: InboundRow[]): Promise<void> {
		try {
			await options.committer.add(rows);
		} catch (e) {
			log.warn('store_failed', { platform, connection_id: rows[0]?.connectionId, events: rows.length, error: errorMessage(e), unavailable: isDatabaseUnavailable(e) });
			return error(res, 503, 'database_unavailable', 'Not stored; deliver again', { 'retry-after': '5' });
		}
		log.debug('stored', { platform, connection_id: rows[0]?.connectionId, events: rows.length });
		acknowledge(res);
	}

	function drop(platform: Platform, accountId: string, reason: 'unknown_account' | 'unverified_account', event: NormalizedEvent | undefined): void {
		counters.dropped[reason]++;
		log.warn('dropped', { platform, account_id: accountId, reason, event_id: event?.eventId });
	}

	function deprecated(platform: Platform, connectionId: string): void {
		counters.deprecatedUrl++;
		if (deprecatedSeen.has(connectionId) || deprecatedSeen.size > 10_000) return;
		deprecatedSeen.add(connectionId);
		log.warn('deprecated_url', {
			platform,
			connection_id: connectionId,
			message: `/webhooks/${platform}/<connectionId> is deprecated and goes away in the next release: set the app's URL to /webhooks/${platform}`
		});
	}

	async function handshake(
		res: ServerResponse,
		connector: Connector<unknown>,
		url: URL,
		urlConnection: OpenConnection | null,
		platform: Platform,
		appKey: string | undefined
	): Promise<void> {
		let candidates: OpenConnection[];
		try {
			candidates = urlConnection ? [urlConnection] : appVerifiers(platform, appKey, await connections.active(platform, UNROUTED_VERIFY_LIMIT)).flatMap((v) => v.vouchesFor);
		} catch (e) {
			log.warn('lookup_failed', { platform, error: errorMessage(e) });
			return unavailable(res);
		}
		let answer = null;
		for (const connection of candidates) {
			answer = connector.handshake?.(url, {
				externalId: connection.externalId,
				webhookUrl: url.href,
				verifyToken: connection.verifyToken ?? undefined,
				settings: connection.settings
			}) ?? null;
			if (!answer || answer.status === 200) break;
		}
		if (!answer && !connector.handshake) return error(res, 405, 'method_not_allowed', 'Use POST', { allow: 'POST' });
		if (!answer && url.searchParams.get('hub.mode') === null) return error(res, 405, 'method_not_allowed', 'Use POST', { allow: 'POST' });
		answer ??= { status: 403 as const, body: '' };
		log.info('handshake', { platform, connection_id: urlConnection?.id, status: answer.status });
		return send(res, answer.status, answer.body);
	}
}

function parse(connector: Connector<unknown>, rawBody: Uint8Array): NormalizedEvent[] | MalformedPayloadError {
	try {
		return connector.parse(rawBody);
	} catch (e) {
		if (e instanceof MalformedPayloadError) return e;
		throw e;
	}
}

function distinct(connections: Array<OpenConnection | null>): OpenConnection[] {
	const out = new Map<string, OpenConnection>();
	for (const connection of connections) if (connection && connection.status === 'active') out.set(connection.id, connection);
	return [...out.values()];
}

/** An empty 200: Shopee requires it, and every other platform only looks at the status. */
function acknowledge(res: ServerResponse): void {
	if (!res.headersSent) res.writeHead(200, ACK_HEADERS).end();
}

function unavailable(res: ServerResponse): void {
	error(res, 503, 'database_unavailable', 'Try again later', { 'retry-after': '5' });
}

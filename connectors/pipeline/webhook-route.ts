import type { IncomingMessage, ServerResponse } from 'node:http';
import { isDatabaseUnavailable } from '../../src/lib/server/db.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { webhookUrl } from '../../src/lib/server/connections.ts';
import { MalformedPayloadError } from '../shared/errors.ts';
import { PLATFORMS, type NormalizedEvent, type Platform } from '../types.ts';
import type { ConnectionCache, ConnectorRegistry, PlatformEndpoints } from './connections.ts';
import type { GroupCommitter, InboundRow } from './group-commit.ts';

/**
 * Stage 1 of the pipeline: the thin webhook route (model: Chatwoot's LINE controller). It checks
 * the signature on the raw bytes, stores one `inbound_events` row per normalized event, and
 * answers 2xx only after that row is committed; everything else happens in the ingest worker.
 *
 *   GET  /webhooks/<platform>/<connectionId>   Meta's hub.challenge handshake
 *   POST /webhooks/<platform>/<connectionId>   404 unknown · 410 disconnected · 413 too big ·
 *                                              401 bad signature, or signed too long ago (nothing written) · 400 malformed ·
 *                                              503 database down (the platform retries) · 200 stored
 */

export interface WebhookRouteOptions {
	connectors: ConnectorRegistry;
	connections: ConnectionCache;
	committer: GroupCommitter;
	endpoints: PlatformEndpoints;
	/** Largest body accepted, in bytes. @default 1 MiB */
	maxBodyBytes?: number;
}

/**
 * How old a signed delivery may be ([C29]). Long enough for a platform's retries while this
 * instance was down (redeliveries are idempotent anyway); short enough that a webhook captured
 * long ago cannot be replayed, e.g. to bring back what retention purged.
 */
export const SIGNED_MAX_AGE_MS = 24 * 3_600_000;
/** How far in the future a signed time may be (clock skew). */
export const SIGNED_MAX_SKEW_MS = 10 * 60_000;

const PATH = /^\/webhooks\/([a-z]+)\/([0-9a-fA-F-]{36})\/?$/;

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

/**
 * The row of one normalized event, its payload serialized once here. Dates travel as ISO strings;
 * the ingest worker reads them back. PostgreSQL's jsonb refuses U+0000, which a customer can still
 * type: it is dropped.
 */
export function inboundRow(workspaceId: string, connectionId: string, platform: Platform, event: NormalizedEvent): InboundRow {
	// Dates become ISO strings here rather than through Date#toJSON, which takes V8's
	// JSON.stringify off its fast path (measured: about half the cost per event).
	const plain = event.type === 'message' ? { ...event, sentAt: event.sentAt.toISOString() } : { ...event, updatedAt: event.updatedAt.toISOString() };
	const json = JSON.stringify(plain);
	return { workspaceId, connectionId, platform, eventId: event.eventId, kind: event.type, payloadJson: json.includes('\\u0000') ? json.replaceAll('\\u0000', '') : json };
}

export function createWebhookRoute(options: WebhookRouteOptions): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
	const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
	const log = logger('webhooks');

	return async function webhook(req, res) {
		const target = req.url ?? '/';
		const q = target.indexOf('?');
		const pathname = q === -1 ? target : target.slice(0, q);
		const search = q === -1 ? '' : target.slice(q);
		const match = PATH.exec(pathname);
		const platform = match?.[1] as Platform | undefined;
		if (!match || !platform || !PLATFORMS.includes(platform)) return error(res, 404, 'not_found', 'Unknown webhook');
		const connectionId = match[2].toLowerCase();
		if (req.method !== 'POST' && req.method !== 'GET') return error(res, 405, 'method_not_allowed', 'Use POST', { allow: 'GET, POST' });
		const connector = options.connectors[platform];

		let connection;
		try {
			connection = await options.connections.get(connectionId);
		} catch (e) {
			log.warn('lookup_failed', { platform, connection_id: connectionId, error: errorMessage(e) });
			return error(res, 503, 'database_unavailable', 'Try again later', { 'retry-after': '5' });
		}
		if (!connection || connection.platform !== platform) return error(res, 404, 'not_found', 'Unknown connection');
		if (connection.status !== 'active') return error(res, 410, 'disconnected', 'This connection was disconnected');

		const signedUrl = webhookUrl(options.endpoints.origin ?? `http://${req.headers.host ?? 'localhost'}`, platform, connectionId);
		const publicUrl = signedUrl + search;

		if (req.method === 'GET') {
			const answer = connector.handshake?.(new URL(publicUrl), {
				externalId: connection.externalId,
				webhookUrl: publicUrl,
				verifyToken: connection.verifyToken ?? undefined,
				settings: connection.settings
			});
			if (!answer) return error(res, 405, 'method_not_allowed', 'Use POST', { allow: 'POST' });
			log.info('handshake', { platform, connection_id: connectionId, status: answer.status });
			return send(res, answer.status, answer.body);
		}

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

		const signed = connector.verify({ rawBody, headers: req.headers, url: signedUrl }, connection.credentials);
		if (!signed) {
			log.warn('signature_rejected', { platform, connection_id: connectionId, bytes: rawBody.length });
			return error(res, 401, 'bad_signature', 'The signature does not match');
		}
		const at = connector.signedAt?.(rawBody);
		if (at) {
			const age = Date.now() - at.getTime();
			if (age > SIGNED_MAX_AGE_MS || age < -SIGNED_MAX_SKEW_MS) {
				log.warn('signature_stale', { platform, connection_id: connectionId, age_seconds: Math.round(age / 1000) });
				return error(res, 401, 'stale_signature', 'The signature is valid but was made too long ago (or in the future); it is not accepted again');
			}
		}

		let events: NormalizedEvent[];
		try {
			events = connector.parse(rawBody);
		} catch (e) {
			if (e instanceof MalformedPayloadError) {
				log.warn('malformed', { platform, connection_id: connectionId, reason: e.reason, issues: e.issues.slice(0, 5).join('; ') });
				return error(res, 400, 'malformed', 'The body is not a webhook this platform sends');
			}
			throw e;
		}

		try {
			await options.committer.add(events.map((event) => inboundRow(connection.workspaceId, connectionId, platform, event)));
		} catch (e) {
			log.warn('store_failed', { platform, connection_id: connectionId, events: events.length, error: errorMessage(e), unavailable: isDatabaseUnavailable(e) });
			return error(res, 503, 'database_unavailable', 'Not stored; deliver again', { 'retry-after': '5' });
		}
		log.debug('stored', { platform, connection_id: connectionId, events: events.length });
		// An empty 200: Shopee requires it, and every other platform only looks at the status.
		if (!res.headersSent) res.writeHead(200, ACK_HEADERS).end();
	};
}

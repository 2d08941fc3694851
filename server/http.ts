import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Pool } from '../src/lib/server/db.ts';
import type { Config } from '../src/lib/server/env.ts';
import { health } from './health.ts';
import { errorBody, isDomainError } from '../src/lib/server/errors.ts';

/** A connect-style handler, as adapter-node's `handler` is. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: () => void) => void;

export type WebhookHandler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

export type UpgradeHandler = (req: IncomingMessage, socket: Duplex, head: Buffer) => void;

export interface HttpRoutes {
	pool: Pool;
	databaseKind: 'postgres' | 'embedded';
	/** The SvelteKit app (build/handler.js). */
	app: Middleware;
	/** POST/GET /webhooks/<platform>[/app/<appKey> | /<connectionId>], served on raw bytes before SvelteKit. */
	webhooks?: WebhookHandler;
	/** What the webhook route dropped or quarantined since start, for /healthz. */
	webhookCounters?: () => Record<string, unknown>;
	/** WebSocket upgrades on /collab. */
	collab?: UpgradeHandler;
}

/** One port for everything: health, webhooks, the collab WebSocket and the web app. */
export function createRequestListener(routes: HttpRoutes, state: { draining: boolean }): RequestListener {
	return (req, res) => {
		const path = (req.url ?? '/').split('?')[0];
		if (state.draining) res.setHeader('connection', 'close');
		if (path === '/healthz' && (req.method === 'GET' || req.method === 'HEAD')) {
			void health(res, routes.pool, routes.databaseKind, routes.webhookCounters?.());
			return;
		}
		if (path.startsWith('/webhooks/') && routes.webhooks) {
			routes.webhooks(req, res).catch((error) => {
				// A refusal the route did not answer itself still gets its own status (src/lib/server/errors.ts).
				if (isDomainError(error)) {
					if (!res.headersSent) res.writeHead(error.status, { 'content-type': 'application/json', ...error.headers });
					res.end(JSON.stringify(errorBody(error.code, error.message, error.details)));
					return;
				}
				console.error(JSON.stringify({ scope: 'webhooks', event: 'unhandled', error: String(error?.message ?? error) }));
				if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
				res.end(JSON.stringify(errorBody('internal', 'Something went wrong')));
			});
			return;
		}
		routes.app(req, res, () => {
			res.writeHead(404, { 'content-type': 'text/plain' });
			res.end('Not found');
		});
	};
}

export function createUpgradeListener(routes: HttpRoutes): UpgradeHandler {
	return (req, socket, head) => {
		const path = (req.url ?? '/').split('?')[0];
		if ((path === '/collab' || path.startsWith('/collab/')) && routes.collab) {
			routes.collab(req, socket, head);
			return;
		}
		socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
	};
}

/**
 * The client address of an upgrade request, read the way adapter-node reads it for the web app:
 * the TCP peer, or behind a proxy the configured header (`x-forwarded-for`: the entry `xffDepth`
 * from the right, the one the proxy added).
 */
export function upgradeClientAddress(header: Config['addressHeader']): (request: IncomingMessage) => string | undefined {
	if (!header) return (request) => request.socket.remoteAddress;
	return (request) => {
		const raw = request.headers[header.name];
		const value = (Array.isArray(raw) ? raw.join(',') : raw) ?? '';
		if (header.name !== 'x-forwarded-for') return value.trim() || request.socket.remoteAddress;
		const addresses = value.split(',');
		return addresses[addresses.length - header.xffDepth]?.trim() || request.socket.remoteAddress;
	};
}

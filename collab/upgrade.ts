import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Hocuspocus } from '@hocuspocus/server';
import { inspectOnce, RateLimiter, defaultFrameLimits, type FrameLimits } from './frames.ts';
import { errorMessage, logger } from '../src/lib/server/log.ts';

const log = logger('collab');

export interface SocketLimits {
	/** Largest WebSocket frame accepted; ws closes the socket with 1009 above it. @default 1 MiB */
	maxPayloadBytes: number;
	/** Sustained frames per second one socket may send. @default 100 */
	framesPerSecond: number;
	/** Frames one socket may send in a burst. @default 300 */
	frameBurst: number;
	frames: FrameLimits;
}

export const defaultSocketLimits: SocketLimits = {
	maxPayloadBytes: 1024 * 1024,
	framesPerSecond: 100,
	frameBurst: 300,
	frames: defaultFrameLimits
};

/** Close codes sent to misbehaving sockets (RFC 6455 7.4.1). */
const CLOSE_UNSUPPORTED = 1003;
const CLOSE_INVALID = 1007;
const CLOSE_POLICY = 1008;

/**
 * Accepts WebSocket upgrades for the collab server with `ws` (noServer) and hands each socket to
 * `hocuspocus.handleConnection`, which takes any WebSocket-like object and a Fetch Request. Every
 * frame is checked first (binary only, well-formed, within limits, within the rate limit); a bad
 * frame closes the socket before Hocuspocus or Yjs see it.
 */
export function createUpgradeHandler(hocuspocus: Hocuspocus, limits: SocketLimits, accepting: () => boolean) {
	const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes, perMessageDeflate: false });
	const sockets = new Set<WebSocket>();

	wss.on('connection', (ws: WebSocket, request: IncomingMessage) => {
		sockets.add(ws);
		const client = hocuspocus.handleConnection(ws, toFetchRequest(request));
		const limiter = new RateLimiter(limits.framesPerSecond, limits.frameBurst);
		let closed = false;
		const reject = (code: number, reason: string) => {
			if (closed) return;
			closed = true;
			log.warn('socket_rejected', { reason, code });
			ws.close(code, reason);
		};
		ws.on('message', (data, isBinary) => {
			if (closed) return;
			if (!isBinary) return reject(CLOSE_UNSUPPORTED, 'binary-only');
			if (!limiter.take()) return reject(CLOSE_POLICY, 'rate-limited');
			const bytes = toBytes(data);
			const inspected = inspectOnce(bytes, limits.frames);
			if (!inspected.ok) return reject(CLOSE_INVALID, inspected.reason);
			try {
				client.handleMessage(bytes);
			} catch (error) {
				log.error('message_failed', { error: errorMessage(error) });
				reject(CLOSE_INVALID, 'unprocessable');
			}
		});
		ws.on('close', (code, reason) => {
			closed = true;
			sockets.delete(ws);
			client.handleClose({ code, reason: reason.toString() });
		});
		ws.on('error', (error) => {
			// ws reports oversized or invalid frames here and closes the socket itself.
			log.warn('socket_error', { error: errorMessage(error) });
		});
	});

	return {
		handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
			if (!accepting()) {
				socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
				return;
			}
			socket.on('error', () => socket.destroy());
			wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
		},
		/** Closes every socket (code 1001, going away) and the ws server. */
		async close(): Promise<void> {
			for (const ws of sockets) ws.close(1001, 'server-shutdown');
			await new Promise<void>((resolve) => wss.close(() => resolve()));
			for (const ws of sockets) ws.terminate();
		},
		get connections(): number {
			return sockets.size;
		}
	};
}

function toBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
	if (Array.isArray(data)) return Buffer.concat(data);
	return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/**
 * The Request Hocuspocus keeps on each connection. Nothing in the collab server reads request
 * headers (the token travels in the auth message, not in a header or cookie), so only the URL is
 * kept (for `requestParameters`): copying every header into a Fetch Headers object cost a few KiB
 * per open connection.
 */
function toFetchRequest(request: IncomingMessage): Request {
	let url: string;
	try {
		url = new URL(request.url ?? '/', 'http://localhost').toString();
	} catch {
		url = 'http://localhost/collab';
	}
	return new Request(url);
}

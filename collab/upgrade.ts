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
	/**
	 * Open sockets (including ones still in their handshake) allowed from one client address; the
	 * next upgrade is answered 429. @default Infinity (server/ sets CHATMAI_SOCKETS_PER_IP)
	 */
	socketsPerAddress: number;
	frames: FrameLimits;
}

export const defaultSocketLimits: SocketLimits = {
	maxPayloadBytes: 1024 * 1024,
	framesPerSecond: 100,
	frameBurst: 300,
	socketsPerAddress: Infinity,
	frames: defaultFrameLimits
};

/** The client address of an upgrade request (behind a proxy: from the header it sets). */
export type ClientAddress = (request: IncomingMessage) => string | undefined;

const remoteAddress: ClientAddress = (request) => request.socket.remoteAddress;

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
export function createUpgradeHandler(hocuspocus: Hocuspocus, limits: SocketLimits, accepting: () => boolean, clientAddress: ClientAddress = remoteAddress) {
	const wss = new WebSocketServer({ noServer: true, maxPayload: limits.maxPayloadBytes, perMessageDeflate: false });
	const sockets = new Set<WebSocket>();
	const perAddress = new Map<string, number>();
	const warned = new Set<string>();

	/** Counts the socket against its address until the TCP socket closes; false when the cap is reached. */
	function admit(request: IncomingMessage, socket: Duplex): boolean {
		if (limits.socketsPerAddress === Infinity) return true;
		const address = clientAddress(request) ?? '';
		const open = perAddress.get(address) ?? 0;
		if (open >= limits.socketsPerAddress) {
			// One line per address while it stays at the cap, not one per refused socket.
			if (!warned.has(address)) log.warn('socket_cap_reached', { sockets: open, cap: limits.socketsPerAddress });
			warned.add(address);
			return false;
		}
		perAddress.set(address, open + 1);
		socket.once('close', () => {
			const left = (perAddress.get(address) ?? 1) - 1;
			if (left > 0) perAddress.set(address, left);
			else perAddress.delete(address);
			if (left < limits.socketsPerAddress) warned.delete(address);
		});
		return true;
	}

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
			if (!admit(request, socket)) {
				socket.end('HTTP/1.1 429 Too Many Requests\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
				return;
			}
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

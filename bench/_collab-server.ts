import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import * as Y from 'yjs';
import { Hocuspocus, type Extension } from '@hocuspocus/server';
import { createCollab } from '../collab/index.ts';
import { createPool } from '../src/lib/server/db.ts';
import { setLogLevel } from '../src/lib/server/log.ts';
import { benchMessages } from './_collab-shared.ts';

/**
 * One bench server in its own process, so its CPU and memory are not mixed with the clients'.
 * `node --expose-gc bench/_collab-server.ts <mode> [databaseUrl]`; talks to the parent over IPC:
 * → { type: 'ready', port }; ← 'memory' | 'memory-compacted' → { type: 'memory', usage }; ← 'cpu' → { type: 'cpu', usage };
 * ← 'close' → { type: 'closed' } and exits.
 *
 * Modes:
 * - `chatmai`: createCollab (auth, persistence, window seed, projection, presence, limits) on PostgreSQL.
 * - `hocuspocus`: a Hocuspocus instance with no extensions, mounted with ws the same way.
 * - `hocuspocus-ymap` / `hocuspocus-json`: the same, each document filled on load with the bench's
 *   50 messages as one Y.Map each / as plain JSON items of one Y.Array.
 * - `relay`: a raw ws room relay: every binary frame goes to the other sockets of its URL path.
 */

type Mode = 'chatmai' | 'hocuspocus' | 'hocuspocus-ymap' | 'hocuspocus-json' | 'relay';
const mode = process.argv[2] as Mode;
const databaseUrl = process.argv[3];
setLogLevel('error');

const send = (message: unknown) => process.send!(message);

interface Mounted {
	handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
	close(): Promise<void>;
}

function wsMount(onConnection: (ws: WebSocket, request: IncomingMessage) => void): Mounted {
	const wss = new WebSocketServer({ noServer: true, maxPayload: 1024 * 1024, perMessageDeflate: false });
	wss.on('connection', onConnection);
	return {
		handleUpgrade: (request, socket, head) => wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request)),
		close: async () => {
			for (const ws of wss.clients) ws.terminate();
			await new Promise<void>((resolve) => wss.close(() => resolve()));
		}
	};
}

/** Hocuspocus without extensions, behind the same kind of ws mount as collab/upgrade.ts (minus its frame checks). */
function vanilla(seed?: 'ymap' | 'json'): Mounted {
	const extensions: Extension[] = [];
	if (seed) {
		extensions.push({
			async onLoadDocument({ document }) {
				const messages = benchMessages(document.name);
				if (seed === 'json') document.getArray('messages').push(messages);
				else
					document.getArray<Y.Map<unknown>>('messages').push(
						messages.map((m) => {
							const map = new Y.Map<unknown>();
							for (const [key, value] of Object.entries(m)) map.set(key, value);
							return map;
						})
					);
			}
		});
	}
	const hocuspocus = new Hocuspocus({ quiet: true, extensions });
	const mount = wsMount((ws, request) => {
		const client = hocuspocus.handleConnection(ws, new Request(`http://127.0.0.1${request.url ?? '/'}`));
		ws.on('message', (data: Buffer) => client.handleMessage(new Uint8Array(data.buffer, data.byteOffset, data.byteLength)));
		ws.on('close', (code, reason) => client.handleClose({ code, reason: reason.toString() }));
	});
	return {
		handleUpgrade: mount.handleUpgrade,
		close: async () => {
			hocuspocus.closeConnections();
			await mount.close();
		}
	};
}

function relay(): Mounted {
	const rooms = new Map<string, Set<WebSocket>>();
	return wsMount((ws, request) => {
		const name = request.url ?? '/';
		let room = rooms.get(name);
		if (!room) rooms.set(name, (room = new Set()));
		room.add(ws);
		ws.on('message', (data: Buffer, isBinary) => {
			for (const other of room) if (other !== ws && other.readyState === 1) other.send(data, { binary: isBinary });
		});
		ws.on('close', () => {
			room.delete(ws);
			if (room.size === 0) rooms.delete(name);
		});
	});
}

let mounted: Mounted;
let closeExtra = async () => {};
if (mode === 'chatmai') {
	const db = createPool({ connectionString: databaseUrl, max: 10, applicationName: 'chatmai-bench' });
	const collab = createCollab({ db });
	mounted = { handleUpgrade: collab.handleUpgrade, close: () => collab.destroy() };
	closeExtra = () => db.end();
} else if (mode === 'relay') mounted = relay();
else mounted = vanilla(mode === 'hocuspocus-ymap' ? 'ymap' : mode === 'hocuspocus-json' ? 'json' : undefined);

const http = createServer((_req, res) => res.writeHead(404).end());
http.on('upgrade', (req, socket, head) => mounted.handleUpgrade(req, socket, head));
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));

process.on('message', async (message: string) => {
	if (message === 'memory') {
		for (let i = 0; i < 3; i++) {
			globalThis.gc?.();
			await new Promise((resolve) => setImmediate(resolve));
		}
		send({ type: 'memory', usage: process.memoryUsage() });
	} else if (message === 'memory-compacted') {
		// The collection V8 runs before giving up on an allocation: it compacts the heap and hands
		// free pages back, as its memory reducer does on its own once a server has been idle a while.
		(globalThis.gc as ((options: object) => void) | undefined)?.({ type: 'major', execution: 'sync', flavor: 'last-resort' });
		await new Promise((resolve) => setImmediate(resolve));
		send({ type: 'memory', usage: process.memoryUsage() });
	} else if (message === 'cpu') {
		send({ type: 'cpu', usage: process.cpuUsage() });
	} else if (message === 'close') {
		await mounted.close();
		http.closeAllConnections();
		await new Promise<void>((resolve) => http.close(() => resolve()));
		await closeExtra();
		send({ type: 'closed' });
		process.disconnect();
	}
});
send({ type: 'ready', port: (http.address() as AddressInfo).port });

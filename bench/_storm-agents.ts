import * as Y from 'yjs';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { monotonicMs } from './_collab-clients.ts';

/**
 * A share of the storm bench's agents in their own process (`node bench/_storm-agents.ts`), so the
 * load generator is not the bottleneck: each agent is a browser tab's provider, one WebSocket and
 * one conversation document, with the reconnect settings it is given. Times are CLOCK_MONOTONIC.
 *
 * ← { type: 'connect', port, agents, reconnect, batch } → { type: 'connected', failed }
 * ← { type: 'watch' } (the server is about to stop: counts start from zero)
 * ← { type: 'await-resync' } → { type: 'resynced', times, updates, bytes } once every agent that lost
 *   its socket has synced again (times: when each did)
 * ← 'close' → exits.
 */

interface AgentSpec {
	name: string;
	token: string;
}

interface ConnectCommand {
	type: 'connect';
	port: number;
	agents: AgentSpec[];
	reconnect: Record<string, number | boolean>;
	/** Agents opened at once before waiting for them to sync. */
	batch: number;
}

interface Tab {
	provider: HocuspocusProvider;
	socket: HocuspocusProviderWebsocket;
	doc: Y.Doc;
	lost: boolean;
	resyncedAt: number | null;
}

const tabs: Tab[] = [];
let counting = false;
let updates = 0;
let bytes = 0;
let waiting: (() => void) | null = null;
const send = (message: unknown) => process.send!(message);

function open(port: number, spec: AgentSpec, reconnect: ConnectCommand['reconnect']): Promise<boolean> {
	const doc = new Y.Doc();
	const socket = new HocuspocusProviderWebsocket({ url: `ws://127.0.0.1:${port}/collab`, ...reconnect });
	let settle!: (ok: boolean) => void;
	const ready = new Promise<boolean>((resolve) => (settle = resolve));
	const tab: Tab = { doc, socket, provider: undefined as unknown as HocuspocusProvider, lost: false, resyncedAt: null };
	tab.provider = new HocuspocusProvider({
		websocketProvider: socket,
		name: spec.name,
		token: spec.token,
		document: doc,
		onSynced: ({ state }) => {
			if (!state) return;
			settle(true);
			if (tab.lost && tab.resyncedAt === null) {
				tab.resyncedAt = monotonicMs();
				check();
			}
		},
		onAuthenticationFailed: () => settle(false)
	});
	tab.provider.attach();
	socket.on('status', ({ status }: { status: string }) => {
		if (status === 'disconnected' && counting) tab.lost = true;
	});
	doc.on('update', (update: Uint8Array, origin: unknown) => {
		if (counting && origin === tab.provider) {
			updates++;
			bytes += update.byteLength;
		}
	});
	tabs.push(tab);
	return ready;
}

function check(): void {
	if (waiting && tabs.every((t) => t.lost && t.resyncedAt !== null)) {
		const done = waiting;
		waiting = null;
		done();
	}
}

process.on('message', async (message: ConnectCommand | { type: string } | string) => {
	if (message === 'close') {
		for (const tab of tabs) {
			tab.provider.destroy();
			tab.socket.destroy();
			tab.doc.destroy();
		}
		process.exit(0);
	}
	if (typeof message === 'string') return;
	if (message.type === 'connect') {
		const command = message as ConnectCommand;
		let failed = 0;
		for (let i = 0; i < command.agents.length; i += command.batch) {
			const results = await Promise.all(command.agents.slice(i, i + command.batch).map((spec) => open(command.port, spec, command.reconnect)));
			failed += results.filter((ok) => !ok).length;
		}
		send({ type: 'connected', failed });
	} else if (message.type === 'watch') {
		counting = true;
		updates = 0;
		bytes = 0;
		send({ type: 'watching' });
	} else if (message.type === 'await-resync') {
		await new Promise<void>((resolve) => {
			waiting = resolve;
			check();
		});
		send({ type: 'resynced', times: tabs.map((t) => t.resyncedAt!), updates, bytes });
	}
});

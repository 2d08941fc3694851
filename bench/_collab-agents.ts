import { createParagraph, draftText, monotonicMs, providerAgent, relayAgent, type Agent } from './_collab-clients.ts';
import * as Y from 'yjs';
import type { PresenceUser } from '../src/lib/conversation-doc.ts';

/**
 * A share of the latency bench's agents in their own process (`node bench/_collab-agents.ts`),
 * so that 49 deliveries of one keystroke are handled by two processes in parallel, as they would
 * be by 49 browsers, instead of one after another. Times are CLOCK_MONOTONIC (process.hrtime),
 * which every process on the machine shares. Talks to the parent over IPC:
 *
 * The agents come in sets, one per server, all connected at once, so that the parent can type on
 * one server after another in short interleaved slices; a set that is not typing is idle.
 *
 * ← { type: 'connect', set, ... } → { type: 'connected' }
 * ← { type: 'paragraph', set } (its first agent creates the draft paragraph) ← { type: 'await-paragraph', set } → { type: 'paragraph-ready' }
 * ← { type: 'run', set, typists, startAt, warmupMs, measureMs, intervalMs, drainMs } → { type: 'report', sent, received, cpu }
 * ← 'close' → exits.
 */

interface ConnectCommand {
	type: 'connect';
	/** The server these agents are on. */
	set: string;
	kind: 'provider' | 'relay';
	url: string;
	name: string;
	agents: { index: number; token: string; user: PresenceUser }[];
}

interface RunCommand {
	type: 'run';
	set: string;
	/** Global agent indexes that type in this run. */
	typists: number[];
	typistCount: number;
	startAt: number;
	warmupMs: number;
	measureMs: number;
	intervalMs: number;
	drainMs: number;
}

/** One keystroke: typist's Yjs client id, its clock once the character is in, when it was typed, whether measured. */
export type SentRecord = [client: number, clock: number, at: number, measured: 0 | 1];
/** One receiver transaction that advanced a typist's clock up to `clock`, and when it ended. */
export type ReceivedRecord = [receiver: number, client: number, clock: number, at: number];

const sets = new Map<string, { index: number; agent: Agent }[]>();
const agentsOf = (set: string) => {
	let list = sets.get(set);
	if (!list) sets.set(set, (list = []));
	return list;
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const send = (message: unknown) => process.send!(message);

async function run(command: RunCommand): Promise<void> {
	const agents = agentsOf(command.set);
	const sent: SentRecord[] = [];
	const received: ReceivedRecord[] = [];
	const stops = agents.map(({ index, agent }) => {
		const listener = (transaction: Y.Transaction) => {
			const at = monotonicMs();
			for (const [client, clock] of transaction.afterState) {
				if (client !== agent.doc.clientID && transaction.beforeState.get(client) !== clock) received.push([index, client, clock, at]);
			}
		};
		agent.doc.on('afterTransaction', listener);
		return () => agent.doc.off('afterTransaction', listener);
	});
	const end = command.startAt + command.warmupMs + command.measureMs;
	const measureFrom = command.startAt + command.warmupMs;
	let cpu0: NodeJS.CpuUsage | undefined;
	const cpuTimer = setTimeout(() => (cpu0 = process.cpuUsage()), Math.max(0, measureFrom - monotonicMs()));
	const loops = agents
		.filter(({ index }) => command.typists.includes(index))
		.map(async ({ index, agent }) => {
			const text = draftText(agent.doc)!;
			const slot = command.typists.indexOf(index);
			for (let k = 0; ; k++) {
				// A fixed schedule per typist (no coordinated omission), offset evenly from the others.
				const due = command.startAt + (slot * command.intervalMs) / command.typistCount + k * command.intervalMs;
				if (due >= end) return;
				const wait = due - monotonicMs();
				if (wait > 0) await sleep(wait);
				const at = monotonicMs();
				agent.doc.transact(() => text.insert(text.length, String.fromCharCode(97 + (k % 26))));
				sent.push([agent.doc.clientID, Y.getState(agent.doc.store, agent.doc.clientID), at, at >= measureFrom ? 1 : 0]);
				// The caret moves with the text, as Tiptap's CollaborationCaret reports it.
				const caret = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(text, text.length));
				agent.awareness.setLocalStateField('cursor', { anchor: caret, head: caret });
			}
		});
	await Promise.all(loops);
	await sleep(Math.max(0, end - monotonicMs()));
	const cpu = process.cpuUsage(cpu0);
	clearTimeout(cpuTimer);
	await sleep(command.drainMs);
	for (const stop of stops) stop();
	send({ type: 'report', sent, received, cpu: (cpu.user + cpu.system) / 1000 / command.measureMs });
}

process.on('message', async (command: ConnectCommand | RunCommand | { type: string; set?: string }) => {
	switch (command.type) {
		case 'connect': {
			const { kind, url, name, set } = command as ConnectCommand;
			const agents = agentsOf(set);
			for (const a of (command as ConnectCommand).agents) {
				agents.push({ index: a.index, agent: kind === 'relay' ? relayAgent(url, name, a.user) : providerAgent(url, name, a.token, a.user) });
			}
			await Promise.all(agents.map(({ agent }) => agent.ready));
			send({ type: 'connected' });
			break;
		}
		case 'paragraph':
			createParagraph(agentsOf(command.set!)[0].agent.doc);
			break;
		case 'await-paragraph':
			while (!agentsOf(command.set!).every(({ agent }) => draftText(agent.doc) !== null)) await sleep(10);
			send({ type: 'paragraph-ready' });
			break;
		case 'run':
			await run(command as RunCommand);
			break;
		case 'close':
			for (const { agent } of [...sets.values()].flat()) agent.close();
			await sleep(100);
			process.disconnect();
			break;
	}
});
send({ type: 'started' });

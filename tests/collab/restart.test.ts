import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import * as Y from 'yjs';
import { HocuspocusProvider } from '@hocuspocus/provider';
import { testDatabaseUrl, testPool } from '../helpers/db.ts';
import { createFixture, insertMessages, waitFor, type Fixture } from './helpers.ts';
import { conversationDoc, conversationDocName, readMessages } from '../../src/lib/conversation-doc.ts';
import { addLabel, addNote, setStatus } from '../../src/lib/conversation-edits.ts';

/**
 * Issue 18: a document keeps its identity across a restart of the server process. Agents stay
 * attached to several documents while the process is stopped (SIGTERM, or SIGKILL: no flush) and
 * started again on the same database; their providers reconnect by themselves. What was stored is
 * what is loaded, so the reconnect merges as a no-op: no warning, no update sent to the tabs, the
 * window's message items keep their Yjs ids.
 */
const db = testPool(2);
let fx: Fixture;
let server: Running | undefined;
const clients: Tab[] = [];

interface Running {
	process: ChildProcess;
	port: number;
	/** Warning lines the process logged with the collab scope. */
	warnings: string[];
}

interface Tab {
	name: string;
	provider: HocuspocusProvider;
	doc: Y.Doc;
	/** Updates the server sent this tab since `count` was reset. */
	received: { updates: number; bytes: number };
}

beforeAll(async () => {
	fx = await createFixture(db);
});

afterAll(async () => {
	for (const tab of clients) {
		tab.provider.destroy();
		tab.doc.destroy();
	}
	if (server && server.process.exitCode === null) server.process.kill('SIGKILL');
	await db.end();
});

function start(port = 0): Promise<Running> {
	const child = spawn(process.execPath, ['server/index.ts'], {
		env: { ...process.env, NODE_ENV: 'test', PORT: String(port), HOST: '127.0.0.1', DATABASE_URL: testDatabaseUrl(), CHATMAI_WORKERS: 'false', LOG_LEVEL: 'info' },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	const warnings: string[] = [];
	let errText = '';
	child.stderr!.setEncoding('utf8').on('data', (chunk: string) => {
		errText += chunk;
		const lines = errText.split('\n');
		errText = lines.pop()!;
		for (const line of lines) if (line.includes('"level":"warn"') && line.includes('"scope":"collab"')) warnings.push(line);
	});
	return new Promise((resolve, reject) => {
		let out = '';
		child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
			out += chunk;
			const listening = /"event":"listening".*?"url":"http:\/\/[^:"]+:(\d+)"/.exec(out);
			if (listening) resolve({ process: child, port: Number(listening[1]), warnings });
		});
		child.on('exit', (code) => reject(new Error(`the server exited with ${code} before listening: ${out.slice(-500)}`)));
	});
}

async function stop(running: Running, signal: 'SIGTERM' | 'SIGKILL'): Promise<void> {
	const exited = new Promise((resolve) => running.process.once('exit', resolve));
	running.process.kill(signal);
	await exited;
}

function open(port: number, name: string, token: string): Promise<Tab> {
	const doc = new Y.Doc();
	const tab: Tab = { name, doc, provider: undefined as unknown as HocuspocusProvider, received: { updates: 0, bytes: 0 } };
	doc.on('update', (update: Uint8Array, origin: unknown) => {
		if (origin === tab.provider) {
			tab.received.updates++;
			tab.received.bytes += update.byteLength;
		}
	});
	clients.push(tab);
	return new Promise((resolve, reject) => {
		tab.provider = new HocuspocusProvider({
			url: `ws://127.0.0.1:${port}/collab`,
			name,
			token,
			document: doc,
			onSynced: () => resolve(tab),
			onAuthenticationFailed: ({ reason }) => reject(new Error(reason))
		});
	});
}

/** The window's message items as `client:clock`: their Yjs identity. */
function messageItemIds(doc: Y.Doc): string[] {
	const ids: string[] = [];
	for (let item = conversationDoc(doc).messages._start; item; item = item.right) {
		// One item holds a whole transaction's run of entries; each entry is `clock + offset`.
		if (!item.deleted) for (let k = 0; k < item.length; k++) ids.push(`${item.id.client}:${item.id.clock + k}`);
	}
	return ids;
}

/** The stored state of a document holds the same message items as the tab (its seed was stored). */
async function storedLike(tab: Tab): Promise<boolean> {
	const { rows } = await db.query<{ state: Buffer }>('select state from collab_documents where name = $1', [tab.name]);
	if (!rows[0]) return false;
	const stored = new Y.Doc();
	Y.applyUpdate(stored, new Uint8Array(rows[0].state));
	return JSON.stringify(Y.encodeStateVector(stored)) === JSON.stringify(Y.encodeStateVector(tab.doc));
}

async function allResynced(tabs: Tab[]): Promise<void> {
	// Each provider drops `synced` when its socket closes and raises it again after the new sync.
	await waitFor(() => tabs.every((t) => !t.provider.isSynced), 'every tab to notice the stop', 20_000);
	await waitFor(() => tabs.every((t) => t.provider.isSynced), 'every tab to sync again', 30_000);
	// Corrections (a revert, a dedupe) come after the sync, once the projection has read PostgreSQL.
	await new Promise((resolve) => setTimeout(resolve, 1500));
}

describe('restarting the server with agents attached', () => {
	let tabs: Tab[] = [];
	let names: string[] = [];

	it('a reconnect after SIGTERM merges as a no-op: no warning, nothing sent back, the same message items', async () => {
		names = [fx.docName, conversationDocName(await fx.newConversation()), conversationDocName(await fx.newConversation())];
		for (const [i, name] of names.entries()) await insertMessages(db, fx, name.slice('conversation:'.length), 8 + i * 4);
		server = await start();
		for (const name of names) for (const member of [fx.agentA, fx.agentB, fx.supervisor]) tabs.push(await open(server.port, name, member.token));
		await waitFor(() => tabs.every((t) => readMessages(t.doc).length >= 8), 'every tab to see its window');
		// Agents' edits on two documents (a status, a label, a note); the third is only read.
		setStatus(tabs[0].doc, 'pending');
		addLabel(tabs[3].doc, 'vip');
		addNote(tabs[4].doc, { authorId: fx.agentB.userId, authorName: 'Malee', body: 'call back' });
		await waitFor(async () => (await db.query(`select 1 from notes where conversation_id = $1`, [names[1].slice(13)])).rowCount === 1, 'the note row');
		await new Promise((resolve) => setTimeout(resolve, 500));
		const before = tabs.map((t) => messageItemIds(t.doc));

		await stop(server, 'SIGTERM');
		for (const tab of tabs) tab.received = { updates: 0, bytes: 0 };
		server = await start(server.port);
		await allResynced(tabs);

		expect(server.warnings).toEqual([]);
		expect(tabs.map((t) => t.received)).toEqual(tabs.map(() => ({ updates: 0, bytes: 0 })));
		expect(tabs.map((t) => messageItemIds(t.doc))).toEqual(before);
	}, 90_000);

	it('a reconnect after a crash (SIGKILL, no flush) merges as a no-op once the state was stored', async () => {
		expect(server).toBeDefined();
		await waitFor(async () => (await Promise.all(tabs.map(storedLike))).every(Boolean), 'every document to be stored', 15_000);
		const before = tabs.map((t) => messageItemIds(t.doc));

		await stop(server!, 'SIGKILL');
		for (const tab of tabs) tab.received = { updates: 0, bytes: 0 };
		server = await start(server!.port);
		await allResynced(tabs);

		expect(server.warnings).toEqual([]);
		expect(tabs.map((t) => t.received.updates)).toEqual(tabs.map(() => 0));
		expect(tabs.map((t) => messageItemIds(t.doc))).toEqual(before);
	}, 90_000);

	it('messages written while the server was down reach the tabs, and the ones they held keep their identity', async () => {
		const before = tabs.map((t) => messageItemIds(t.doc));
		await stop(server!, 'SIGKILL');
		await insertMessages(db, fx, names[0].slice(13), 2, 'while down');
		for (const tab of tabs) tab.received = { updates: 0, bytes: 0 };
		server = await start(server!.port);
		await allResynced(tabs);

		expect(server.warnings).toEqual([]);
		for (const [i, tab] of tabs.entries()) {
			const ids = messageItemIds(tab.doc);
			if (tab.name === names[0]) {
				expect(readMessages(tab.doc).filter((m) => m.body.startsWith('while down'))).toHaveLength(2);
				expect(ids.filter((id) => before[i].includes(id))).toEqual(before[i]);
				expect(ids).toHaveLength(before[i].length + 2);
			} else {
				expect(ids).toEqual(before[i]);
				expect(tab.received.updates).toBe(0);
			}
		}
	}, 90_000);
});

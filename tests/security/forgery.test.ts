import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as Y from 'yjs';
import { createCollab, type CollabOptions } from '../../collab/index.ts';
import { testPool } from '../helpers/db.ts';
import { connect, createFixture, disconnect, insertMessages, startServer, waitFor, type Fixture, type TestServer } from '../collab/helpers.ts';
import { conversationDoc, conversationDocName, readMessages, readNotes, type WindowMessage } from '../../src/lib/conversation-doc.ts';
import { addNote } from '../../src/lib/conversation-edits.ts';

/**
 * Server-owned parts of a live document (messages, delivery states, stored notes) are
 * authoritative from PostgreSQL: a client's edit to them is reverted, logged once and never stored.
 */

const db = testPool();
let server: TestServer;
let fx: Fixture;
let warnings: string[] = [];

beforeAll(async () => {
	server = await startServer(db);
	fx = await createFixture(db);
});
afterAll(async () => {
	await server?.close();
	await db.end();
});

/** Collects the warnings the server logs (JSON lines on stderr) while a test runs. */
function captureWarnings(): void {
	warnings = [];
	const original = process.stderr.write.bind(process.stderr);
	vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
		const line = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
		if (line.includes('"level":"warn"')) warnings.push(line);
		return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
	}) as typeof process.stderr.write);
}
afterEach(() => vi.restoreAllMocks());

function warned(event: string, docName: string): number {
	return warnings.filter((line) => line.includes(`"event":"${event}"`) && line.includes(docName)).length;
}

async function storedState(name: string): Promise<Buffer | null> {
	const { rows } = await db.query<{ state: Buffer }>('select state from collab_documents where name = $1', [name]);
	return rows[0]?.state ?? null;
}

/** Replaces the item at `index` of a plain-JSON Y.Array with `value`, as a hostile client would. */
function rewrite<T>(doc: Y.Doc, array: Y.Array<T>, index: number, value: T): void {
	doc.transact(() => {
		array.delete(index, 1);
		array.insert(index, [value]);
	});
}

describe('forged edits to server-owned parts of a live document', () => {
	it("an agent who rewrites another member's note sees it reverted, PostgreSQL keeps the original and a reload shows it", async () => {
		captureWarnings();
		const conversationId = await fx.newConversation();
		const name = conversationDocName(conversationId);
		const author = connect(server.url, name, fx.agentB.token);
		const forger = connect(server.url, name, fx.agentA.token);
		expect(await author.ready).toBe(true);
		expect(await forger.ready).toBe(true);
		const note = addNote(author.doc, { body: 'Customer is a reseller, no discount', authorId: fx.agentB.userId, authorName: '' });
		await waitFor(() => readNotes(forger.doc).some((n) => n.id === note.id && n.authorName === 'Malee'), 'the stamped note on the forger');

		const { notes } = conversationDoc(forger.doc);
		const index = notes.toArray().findIndex((n) => n.id === note.id);
		rewrite(forger.doc, notes, index, { ...notes.get(index), body: 'Give this customer 90% off' });

		await waitFor(() => readNotes(forger.doc).find((n) => n.id === note.id)?.body === 'Customer is a reseller, no discount', 'the revert on the forger');
		await server.collab.flush();
		expect(readNotes(author.doc).filter((n) => n.id === note.id).map((n) => n.body)).toEqual(['Customer is a reseller, no discount']);
		const { rows } = await db.query('select body, author_id from notes where id = $1', [note.id]);
		expect(rows).toEqual([{ body: 'Customer is a reseller, no discount', author_id: fx.agentB.userId }]);
		expect(warned('edit_reverted', name)).toBe(1);

		disconnect(author, forger);
		await server.collab.flush();
		const stored = await storedState(name);
		expect(stored).not.toBeNull();
		expect(stored!.includes(Buffer.from('90% off'))).toBe(false);
		await waitFor(() => !server.collab.hocuspocus.documents.has(name), 'the document to unload');

		const reader = connect(server.url, name, fx.supervisor.token);
		expect(await reader.ready).toBe(true);
		expect(readNotes(reader.doc).filter((n) => n.id === note.id).map((n) => n.body)).toEqual(['Customer is a reseller, no discount']);
		disconnect(reader);
	});

	it("an agent who deletes another member's note sees it come back", async () => {
		captureWarnings();
		const conversationId = await fx.newConversation();
		const name = conversationDocName(conversationId);
		const author = connect(server.url, name, fx.agentB.token);
		const deleter = connect(server.url, name, fx.agentA.token);
		expect(await author.ready).toBe(true);
		expect(await deleter.ready).toBe(true);
		// The client claims no name: the server's stamp (with the real one) shows the note is stored.
		const note = addNote(author.doc, { body: 'Refund approved by the owner', authorId: fx.agentB.userId, authorName: '' });
		await waitFor(() => readNotes(deleter.doc).some((n) => n.id === note.id && n.authorName === 'Malee'), 'the stamped note on the deleter');

		const { notes } = conversationDoc(deleter.doc);
		notes.delete(notes.toArray().findIndex((n) => n.id === note.id), 1);

		await waitFor(() => readNotes(deleter.doc).some((n) => n.id === note.id), 'the note back on the deleter');
		await server.collab.flush();
		expect(readNotes(author.doc).filter((n) => n.id === note.id).map((n) => n.body)).toEqual(['Refund approved by the owner']);
		expect(warned('edit_reverted', name)).toBe(1);
		disconnect(author, deleter);
	});

	it("an agent who rewrites a customer's message in the window sees it reverted, logged once and never stored", async () => {
		const conversationId = await fx.newConversation();
		await insertMessages(db, fx, conversationId, 4, 'Where is my parcel');
		const name = conversationDocName(conversationId);
		const forger = connect(server.url, name, fx.agentA.token);
		const other = connect(server.url, name, fx.agentB.token);
		expect(await forger.ready).toBe(true);
		expect(await other.ready).toBe(true);
		const { messages } = conversationDoc(forger.doc);
		const index = messages.toArray().findIndex((m) => m.senderType === 'customer');
		const original = messages.get(index);
		captureWarnings();

		rewrite<WindowMessage>(forger.doc, messages, index, { ...original, body: 'I accept the refund of 0 baht' });

		const shown = (doc: Y.Doc) => readMessages(doc).find((m) => m.id === original.id)?.body;
		await waitFor(() => shown(forger.doc) === original.body && shown(other.doc) === original.body, 'the revert on both agents');
		await server.collab.flush();
		expect(readMessages(forger.doc).filter((m) => m.id === original.id)).toHaveLength(1);
		expect(warned('client_wrote_server_only', name)).toBe(1);

		disconnect(forger, other);
		await server.collab.flush();
		const stored = await storedState(name);
		if (stored) expect(stored.includes(Buffer.from('refund of 0 baht'))).toBe(false);
		await waitFor(() => !server.collab.hocuspocus.documents.has(name), 'the document to unload');
		const reader = connect(server.url, name, fx.agentB.token);
		expect(await reader.ready).toBe(true);
		expect(shown(reader.doc)).toBe(original.body);
		disconnect(reader);
	});

	it('tabs that send back what a killed server mirrored but never stored cause no warning after the restart', async () => {
		const conversationId = await fx.newConversation();
		await insertMessages(db, fx, conversationId, 3, 'Hello shop');
		const name = conversationDocName(conversationId);
		const port = await freePort();
		const options: Partial<CollabOptions> = { debounceMs: 60_000, maxDebounceMs: 60_000 };
		const first = await listen(port, options);
		// The killed process never stores anything.
		neverStore(first.collab.hocuspocus.configuration.extensions);
		const tabs = [connect(first.url, name, fx.agentA.token), connect(first.url, name, fx.agentB.token)];
		for (const tab of tabs) expect(await tab.ready).toBe(true);
		// A message arrives and is mirrored into the live document by the first process.
		await insertMessages(db, fx, conversationId, 1, 'Are you there');
		const { rows } = await db.query(
			`select id, direction, sender_type, author_id, body, attachments, delivery_state, delivery_error, sent_at
			   from messages where conversation_id = $1 order by sent_at desc, id desc limit 1`,
			[conversationId]
		);
		const { windowMessageFromRow } = await import('../../src/lib/server/messages.ts');
		await first.collab.live.appendMessage(fx.workspaceId, conversationId, windowMessageFromRow(rows[0]), { source: 'connector', platform: 'line' });
		for (const tab of tabs) await waitFor(() => readMessages(tab.doc).length === 4, 'the mirrored message in every tab');
		// And a note, stamped by the first process.
		const note = addNote(tabs[0].doc, { body: 'Customer asked twice', authorId: fx.agentA.userId, authorName: 'Somchai' });
		for (const tab of tabs) await waitFor(() => readNotes(tab.doc).some((n) => n.id === note.id && n.authorName === fx.agentA.name), 'the stamped note in every tab');
		await first.collab.flush();
		expect(await storedState(name)).toBeNull();

		captureWarnings();
		await first.close();
		const second = await listen(port);
		try {
			// The tabs reconnect by themselves and send back the first process's items.
			for (const tab of tabs) await waitFor(() => tab.provider.isSynced && second.collab.hocuspocus.getConnectionsCount() === 2, 'the tabs to resync', 20_000);
			await waitFor(async () => {
				await second.collab.flush();
				return tabs.every((tab) => conversationDoc(tab.doc).messages.length === 4);
			}, 'duplicates to be dropped', 20_000);
			await waitFor(async () => {
				await second.collab.flush();
				return tabs.every((tab) => conversationDoc(tab.doc).notes.toArray().filter((n) => n.id === note.id).length === 1);
			}, 'the note once in every tab', 20_000);
			expect(readMessages(tabs[0].doc).map((m) => m.body)).toEqual(readMessages(tabs[1].doc).map((m) => m.body));
			expect(readNotes(tabs[1].doc).find((n) => n.id === note.id)?.body).toBe('Customer asked twice');
			expect(warned('client_wrote_server_only', name)).toBe(0);
			expect(warned('edit_reverted', name)).toBe(0);
		} finally {
			disconnect(...tabs);
			await second.close();
		}
	});
});

async function freePort(): Promise<number> {
	const probe = createServer();
	await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
	const { port } = probe.address() as AddressInfo;
	await new Promise<void>((resolve) => probe.close(() => resolve()));
	return port;
}

/** startServer on a fixed port, so a provider's reconnects reach the restarted process. */
async function listen(port: number, options: Partial<CollabOptions> = {}): Promise<TestServer> {
	const collab = createCollab({ db, debounceMs: 200, maxDebounceMs: 1000, ...options });
	const http = createServer((_req, res) => res.writeHead(404).end());
	http.on('upgrade', (req, socket, head) => collab.handleUpgrade(req, socket, head));
	await new Promise<void>((resolve) => http.listen(port, '127.0.0.1', resolve));
	let closed: Promise<void> | undefined;
	return {
		collab,
		http,
		url: `ws://127.0.0.1:${port}/collab`,
		close: () =>
			(closed ??= (async () => {
				await collab.destroy();
				http.closeAllConnections();
				await new Promise<void>((resolve) => http.close(() => resolve()));
			})())
	};
}

function neverStore(extensions: unknown[]): void {
	for (const extension of extensions) {
		const database = extension as { configuration?: { store?: unknown } };
		if (database.constructor.name.endsWith('Database') && database.configuration?.store) database.configuration.store = async () => {};
	}
}

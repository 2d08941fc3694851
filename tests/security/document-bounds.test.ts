import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { testPool } from '../helpers/db.ts';
import { connect, createFixture, disconnect, startServer, waitFor, type Fixture, type TestServer } from '../collab/helpers.ts';
import { conversationDoc, conversationDocName, draftText, parseConversationDocName } from '../../src/lib/conversation-doc.ts';

/**
 * Live documents stay within their bounds (issue 11, items 3 and 4): one stored document per
 * conversation, whatever the spelling of its name, and the size cap holds across reloads.
 */

const db = testPool();
const MAX_BYTES = 64 * 1024;
let server: TestServer;
let fx: Fixture;

beforeAll(async () => {
	server = await startServer(db, { maxDocumentBytes: MAX_BYTES, debounceMs: 50, maxDebounceMs: 200 });
	fx = await createFixture(db);
});
afterAll(async () => {
	await server.close();
	await db.end();
});

/** Text Yjs cannot make smaller: every character counts in the encoded document. */
function noise(bytes: number): string {
	let text = '';
	while (text.length < bytes) text += crypto.randomUUID().replaceAll('-', '');
	return text.slice(0, bytes);
}

function writeDraft(doc: Y.Doc, text: string): void {
	const p = new Y.XmlElement('paragraph');
	p.insert(0, [new Y.XmlText(text)]);
	const { draft } = conversationDoc(doc);
	draft.insert(draft.length, [p]);
}

async function stored(name: string): Promise<Y.Doc | null> {
	const { rows } = await db.query('select state from collab_documents where name = $1', [name]);
	if (!rows[0]) return null;
	const doc = new Y.Doc();
	Y.applyUpdate(doc, rows[0].state);
	return doc;
}

describe('document names', () => {
	it('the conversation id in another letter case is refused, and nothing is loaded or stored under it', async () => {
		const conversationId = await fx.newConversation();
		const variants = [`conversation:${conversationId.toUpperCase()}`, `conversation:${conversationId.slice(0, 9)}${conversationId.slice(9).toUpperCase()}`, `CONVERSATION:${conversationId}`];
		for (const name of variants) {
			const client = connect(server.url, name, fx.agentA.token);
			expect(await client.ready).toBe(false);
			expect(client.denied()).toBe('not-found');
			disconnect(client);
			expect(server.collab.hocuspocus.documents.has(name)).toBe(false);
		}
		const { rows } = await db.query('select name from collab_documents where lower(name) = lower($1)', [conversationDocName(conversationId)]);
		expect(rows).toEqual([]);

		const canonical = connect(server.url, conversationDocName(conversationId), fx.agentA.token);
		expect(await canonical.ready).toBe(true);
		disconnect(canonical);
	});

	it('PostgreSQL refuses to store a document under another spelling of its name', async () => {
		const conversationId = await fx.newConversation();
		await expect(
			db.query(`insert into collab_documents (name, workspace_id, state) values ($1, $2, '\\x00')`, [`conversation:${conversationId.toUpperCase()}`, fx.workspaceId])
		).rejects.toThrow(/collab_documents_name_canonical/);
	});

	it('the name the browser builds is the canonical one, whatever case the id came in', () => {
		const id = crypto.randomUUID();
		expect(conversationDocName(id.toUpperCase())).toBe(`conversation:${id}`);
		expect(parseConversationDocName(conversationDocName(id))).toBe(id);
		expect(parseConversationDocName(`conversation:${id.toUpperCase()}`)).toBeNull();
	});
});

describe('document size cap', () => {
	it('holds across reloads: what was stored counts, so reconnecting does not grow a document past the cap', async () => {
		const conversationId = await fx.newConversation();
		const name = conversationDocName(conversationId);
		const first = connect(server.url, name, fx.agentA.token);
		expect(await first.ready).toBe(true);
		writeDraft(first.doc, noise(40 * 1024));
		await waitFor(async () => (await stored(name))?.getXmlFragment('draft').length === 1, 'the first 40 KiB stored');
		disconnect(first);
		await waitFor(() => !server.collab.hocuspocus.documents.has(name), 'the document to unload');

		// Loaded again from the stored state: another 40 KiB would pass the 64 KiB cap.
		const second = connect(server.url, name, fx.agentA.token);
		let closedWith: string | null = null;
		second.provider.on('close', ({ event }: { event: { reason: string } }) => (closedWith = event.reason));
		expect(await second.ready).toBe(true);
		writeDraft(second.doc, noise(40 * 1024));
		await waitFor(() => closedWith, 'the oversized update to be refused');
		expect(closedWith).toBe('document-too-large');

		const live = server.collab.hocuspocus.documents.get(name);
		if (live) expect(conversationDoc(live).draft.length).toBe(1);
		disconnect(second);
		await waitFor(() => !server.collab.hocuspocus.documents.has(name), 'the document to unload again');
		const after = await stored(name);
		expect(after?.getXmlFragment('draft').length).toBe(1);
		expect(Y.encodeStateAsUpdate(after!).byteLength).toBeLessThanOrEqual(MAX_BYTES);
		expect(draftText(after!).length).toBeLessThan(41 * 1024);
	});

	it('still accepts edits that fit after a reload', async () => {
		const conversationId = await fx.newConversation();
		const name = conversationDocName(conversationId);
		const first = connect(server.url, name, fx.agentA.token);
		expect(await first.ready).toBe(true);
		writeDraft(first.doc, noise(20 * 1024));
		await waitFor(async () => (await stored(name))?.getXmlFragment('draft').length === 1, 'the first 20 KiB stored');
		disconnect(first);
		await waitFor(() => !server.collab.hocuspocus.documents.has(name), 'the document to unload');

		const second = connect(server.url, name, fx.agentA.token);
		expect(await second.ready).toBe(true);
		writeDraft(second.doc, noise(20 * 1024));
		await waitFor(async () => (await stored(name))?.getXmlFragment('draft').length === 2, 'the second 20 KiB stored');
		disconnect(second);
	});
});

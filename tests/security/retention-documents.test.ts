import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { testPool } from '../helpers/db.ts';
import { connect, createFixture, disconnect, startServer, waitFor, type Fixture, type TestServer } from '../collab/helpers.ts';
import { conversationDoc, conversationDocName, draftText, readMessages, readNotes } from '../../src/lib/conversation-doc.ts';
import { runRetention } from '../../src/lib/server/privacy/retention.ts';
import { purgeDocuments } from '../../src/lib/server/privacy/documents.ts';

/**
 * The 12-month retention purge reaches live documents: a purged message or note leaves the open
 * document and its stored Yjs state (deleted content included), while the draft and recent
 * history stay.
 */

const db = testPool();
let server: TestServer;
let fx: Fixture;

beforeAll(async () => {
	server = await startServer(db);
	fx = await createFixture(db);
});
afterAll(async () => {
	await server?.close();
	await db.end();
});

/** A conversation with a 400-day-old message and note (marked `secret`) and a recent message and note. */
async function conversationWithOldHistory(secret: string): Promise<string> {
	const conversationId = await fx.newConversation();
	await db.query(
		`insert into messages (workspace_id, conversation_id, connection_id, direction, sender_type, body, sent_at, created_at)
		 values ($1, $2, $3, 'in', 'customer', $4, now() - interval '400 days', now() - interval '400 days'),
		        ($1, $2, $3, 'in', 'customer', 'Is my order on its way?', now() - interval '1 day', now() - interval '1 day')`,
		[fx.workspaceId, conversationId, fx.connectionId, `${secret} message`]
	);
	await db.query(
		`insert into notes (workspace_id, conversation_id, author_id, body, created_at)
		 values ($1, $2, $3, $4, now() - interval '400 days'), ($1, $2, $3, 'Follow up on Monday', now())`,
		[fx.workspaceId, conversationId, fx.agentA.userId, `${secret} note`]
	);
	return conversationId;
}

async function stored(name: string): Promise<Buffer> {
	const { rows } = await db.query<{ state: Buffer }>('select state from collab_documents where name = $1', [name]);
	return rows[0]?.state;
}

/** Opens the document, writes a draft so it is stored, and waits until the stored state holds the old history. */
async function openAndStore(name: string, secret: string) {
	const tab = connect(server.url, name, fx.agentA.token);
	expect(await tab.ready).toBe(true);
	expect(readMessages(tab.doc).map((m) => m.body)).toContain(`${secret} message`);
	expect(readNotes(tab.doc).map((n) => n.body)).toContain(`${secret} note`);
	const paragraph = new Y.XmlElement('paragraph');
	paragraph.insert(0, [new Y.XmlText('Thanks for waiting')]);
	conversationDoc(tab.doc).draft.insert(0, [paragraph]);
	await waitFor(async () => (await stored(name))?.includes(Buffer.from(`${secret} note`)) && (await stored(name)).includes(Buffer.from('Thanks for waiting')), 'the stored state');
	return tab;
}

describe('retention and live documents', () => {
	it('a purged message and note leave an open document and its stored state, the draft and recent history stay', async () => {
		const secret = `OLD-${crypto.randomUUID().slice(0, 8)}`;
		const conversationId = await conversationWithOldHistory(secret);
		const name = conversationDocName(conversationId);
		const tab = await openAndStore(name, secret);

		const report = await runRetention(db, { workspaceId: fx.workspaceId, historyOnly: true });
		expect(report.purgedConversations).toContainEqual({ workspaceId: fx.workspaceId, conversationId });
		expect(await purgeDocuments(db, server.collab.live, report.purgedConversations)).toBeGreaterThanOrEqual(1);

		await waitFor(() => !readNotes(tab.doc).some((n) => n.body.startsWith(secret)), 'the note to leave the open tab');
		expect(readMessages(tab.doc).map((m) => m.body)).toEqual(['Is my order on its way?']);
		expect(readNotes(tab.doc).map((n) => n.body)).toEqual(['Follow up on Monday']);
		const state = await stored(name);
		expect(state.includes(Buffer.from(secret))).toBe(false);
		expect(state.includes(Buffer.from('Thanks for waiting'))).toBe(true);
		disconnect(tab);
	});

	it('a document nobody has open is rewritten in its stored state, through the collab server or without one', async () => {
		for (const live of [server.collab.live, undefined]) {
			const secret = `OLD-${crypto.randomUUID().slice(0, 8)}`;
			const conversationId = await conversationWithOldHistory(secret);
			const name = conversationDocName(conversationId);
			disconnect(await openAndStore(name, secret));
			await waitFor(() => !server.collab.hocuspocus.documents.has(name), 'the document to unload');

			const report = await runRetention(db, { workspaceId: fx.workspaceId, historyOnly: true });
			await purgeDocuments(db, live, report.purgedConversations);

			const state = await stored(name);
			expect(state.includes(Buffer.from(secret)), live ? 'through the collab server' : 'without one').toBe(false);
			const doc = new Y.Doc();
			Y.applyUpdate(doc, new Uint8Array(state));
			expect(draftText(doc)).toBe('Thanks for waiting');
			expect(readNotes(doc).map((n) => n.body)).toEqual(['Follow up on Monday']);
			expect(readMessages(doc).map((m) => m.body)).not.toContain(`${secret} message`);
			await waitFor(() => !server.collab.hocuspocus.documents.has(name), 'the document to unload again');
		}
	});
});

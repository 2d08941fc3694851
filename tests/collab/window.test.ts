import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connect, createFixture, disconnect, insertMessages, sharedServer, waitFor } from './helpers.ts';
import { WINDOW_SIZE, conversationDoc, draftText, readMessages, readMeta, type WindowMessage } from '../../src/lib/conversation-doc.ts';
import { LiveDocumentNotFound } from '../../src/lib/server/ports.ts';

const shared = sharedServer();
const { db } = shared;

async function syncedSize(conversationId: string): Promise<{ bytes: number; doc: Y.Doc }> {
	const client = connect(shared.server.url, `conversation:${conversationId}`, shared.fx.agentA.token);
	expect(await client.ready).toBe(true);
	const bytes = Y.encodeStateAsUpdate(client.doc).byteLength;
	const doc = new Y.Doc();
	Y.applyUpdate(doc, Y.encodeStateAsUpdate(client.doc));
	disconnect(client);
	return { bytes, doc };
}

function outgoing(id: string, sentAt: Date, body = 'Your order has shipped'): WindowMessage {
	return { id, direction: 'out', senderType: 'agent', authorId: shared.fx.agentA.userId, body, attachments: [], sentAt: sentAt.toISOString(), deliveryState: 'queued', deliveryError: null };
}

async function insertOutgoing(conversationId: string, message: WindowMessage) {
	await db.query(
		`insert into messages (id, workspace_id, conversation_id, connection_id, direction, sender_type, author_id, body, delivery_state, sent_at)
		 values ($1, $2, $3, $4, 'out', 'agent', $5, $6, $8, $7)`,
		[message.id, shared.fx.workspaceId, conversationId, shared.fx.connectionId, message.authorId, message.body, message.sentAt, message.deliveryState ?? 'queued']
	);
}

describe('the bounded messages window', () => {
	it('opening a conversation with 10,000 messages syncs a document whose size does not depend on the history length', async () => {
		const long = await shared.fx.newConversation();
		const short = await shared.fx.newConversation();
		await insertMessages(db, shared.fx, long, 10_000, 'Is this still available in size M?');
		await insertMessages(db, shared.fx, short, 60, 'Is this still available in size M?');

		const big = await syncedSize(long);
		const small = await syncedSize(short);
		expect(readMessages(big.doc)).toHaveLength(WINDOW_SIZE);
		expect(readMessages(small.doc)).toHaveLength(WINDOW_SIZE);
		expect(readMessages(big.doc).at(-1)!.body).toBe('Is this still available in size M? 10000');
		// 50 messages of ~200 bytes each plus meta: a fixed bound, whatever the history length.
		expect(big.bytes).toBeLessThan(16 * 1024);
		expect(Math.abs(big.bytes - small.bytes)).toBeLessThan(512);
	});

	it('a server-side message written while no agent has the document open is in the window when one opens it', async () => {
		const conversationId = await shared.fx.newConversation();
		const message = outgoing(crypto.randomUUID(), new Date());
		await insertOutgoing(conversationId, message);
		await shared.server.collab.live.appendMessage(shared.fx.workspaceId, conversationId, message, { source: 'outbox' });
		await shared.server.collab.live.setDeliveryState(shared.fx.workspaceId, conversationId, message.id, 'failed', { code: 'window_closed', closedAt: '2026-03-03T03:00:00.000Z' }, { source: 'outbox' });
		const { doc } = await syncedSize(conversationId);
		const [live] = readMessages(doc);
		expect(live.id).toBe(message.id);
		expect(live.delivery).toMatchObject({ state: 'failed', reason: { code: 'window_closed', closedAt: '2026-03-03T03:00:00.000Z' } });
	});

	it('appended messages reach an open document in order, the window stays at its size, and a retried append is harmless', async () => {
		const conversationId = await shared.fx.newConversation();
		await insertMessages(db, shared.fx, conversationId, WINDOW_SIZE);
		const client = connect(shared.server.url, `conversation:${conversationId}`, shared.fx.agentA.token);
		expect(await client.ready).toBe(true);
		const oldestBefore = readMessages(client.doc)[0].id;
		const newer = outgoing(crypto.randomUUID(), new Date(Date.now() + 60_000), 'Tracking: TH123');
		await insertOutgoing(conversationId, newer);
		await shared.server.collab.live.appendMessage(shared.fx.workspaceId, conversationId, newer, { source: 'outbox' });
		await shared.server.collab.live.appendMessage(shared.fx.workspaceId, conversationId, newer, { source: 'outbox' });
		await waitFor(() => readMessages(client.doc).at(-1)?.id === newer.id, 'the new message');
		const messages = readMessages(client.doc);
		expect(messages).toHaveLength(WINDOW_SIZE);
		expect(conversationDoc(client.doc).messages.length).toBe(WINDOW_SIZE);
		expect(messages.some((m) => m.id === oldestBefore)).toBe(false);
		expect(messages.at(-1)!.delivery?.state).toBe('queued');
		await shared.server.collab.live.setDeliveryState(shared.fx.workspaceId, conversationId, newer.id, 'sent', null, { source: 'outbox' });
		await waitFor(() => readMessages(client.doc).at(-1)?.delivery?.state === 'sent', 'the delivery state');
		disconnect(client);
	});

	it('a batch of appends larger than the window leaves only the newest messages, each once, in order, with nothing to trim', async () => {
		const conversationId = await shared.fx.newConversation();
		await insertMessages(db, shared.fx, conversationId, 10);
		const client = connect(shared.server.url, `conversation:${conversationId}`, shared.fx.agentA.token);
		expect(await client.ready).toBe(true);
		const start = Date.now() + 60_000;
		const burst = Array.from({ length: WINDOW_SIZE + 30 }, (_, i) => ({ ...outgoing(crypto.randomUUID(), new Date(start + i * 1000), `reply ${i}`), deliveryState: 'sent' as const }));
		for (const message of burst) await insertOutgoing(conversationId, message);
		// Shuffled, split over two entries of one conversation, and one message twice.
		const shuffled = [...burst].sort(() => Math.random() - 0.5);
		const half = shuffled.length / 2;
		const origin = { source: 'connector', platform: 'line' } as const;
		const results = await shared.server.collab.live.appendMessages([
			{ workspaceId: shared.fx.workspaceId, conversationId, messages: shuffled.slice(0, half), origin },
			{ workspaceId: shared.fx.workspaceId, conversationId, messages: [...shuffled.slice(half), shuffled[0]], origin },
			{ workspaceId: shared.fx.workspaceId, conversationId: await shared.fx.newConversation(), messages: [], origin: { source: 'outbox' } }
		]);
		expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled']);
		const newest = burst.slice(-WINDOW_SIZE).map((m) => m.id);
		await waitFor(() => readMessages(client.doc).at(-1)?.id === newest.at(-1), 'the newest message');
		expect(readMessages(client.doc).map((m) => m.id)).toEqual(newest);
		expect(conversationDoc(client.doc).messages.toArray().map((m) => m.id)).toEqual(newest);
		// Each entered the window already sent: shown as sent, with no separate delivery entry.
		expect(readMessages(client.doc).every((m) => m.delivery?.state === 'sent')).toBe(true);
		expect(conversationDoc(client.doc).delivery.size).toBe(0);
		disconnect(client);
	});

	it('a batch append to another workspace’s conversation is refused for that conversation only', async () => {
		const other = await createFixture(db);
		const mine = await shared.fx.newConversation();
		const message = outgoing(crypto.randomUUID(), new Date());
		await insertOutgoing(mine, message);
		const client = connect(shared.server.url, `conversation:${mine}`, shared.fx.agentA.token);
		expect(await client.ready).toBe(true);
		const results = await shared.server.collab.live.appendMessages([
			{ workspaceId: other.workspaceId, conversationId: mine, messages: [message], origin: { source: 'outbox' } },
			{ workspaceId: shared.fx.workspaceId, conversationId: mine, messages: [message], origin: { source: 'outbox' } }
		]);
		expect(results[0].status).toBe('rejected');
		expect((results[0] as PromiseRejectedResult).reason).toBeInstanceOf(LiveDocumentNotFound);
		expect(results[1].status).toBe('fulfilled');
		await waitFor(() => readMessages(client.doc).some((m) => m.id === message.id), 'the message');
		disconnect(client);
	});

	it('clearDraft empties the draft for everyone and setMeta mirrors a status change without projecting it again', async () => {
		const conversationId = await shared.fx.newConversation();
		const client = connect(shared.server.url, `conversation:${conversationId}`, shared.fx.agentA.token);
		expect(await client.ready).toBe(true);
		const p = new Y.XmlElement('paragraph');
		p.insert(0, [new Y.XmlText('Thanks for your order!')]);
		conversationDoc(client.doc).draft.insert(0, [p]);
		await waitFor(() => draftText(shared.server.collab.hocuspocus.documents.get(`conversation:${conversationId}`)!) === 'Thanks for your order!', 'the draft on the server');
		await shared.server.collab.live.clearDraft(shared.fx.workspaceId, conversationId, { source: 'outbox' });
		await shared.server.collab.live.setMeta(shared.fx.workspaceId, conversationId, { status: 'resolved', labels: ['paid'] }, { source: 'system', reason: 'rule' });
		await waitFor(() => draftText(client.doc) === '' && readMeta(client.doc).status === 'resolved', 'the cleared draft and status');
		await shared.server.collab.flush();
		const events = await db.query('select 1 from conversation_events where conversation_id = $1', [conversationId]);
		expect(events.rowCount).toBe(0);
		disconnect(client);
	});

	it("a writer naming another workspace's conversation is refused before the document is opened", async () => {
		const other = await createFixture(db);
		const message = outgoing(crypto.randomUUID(), new Date());
		await expect(shared.server.collab.live.appendMessage(other.workspaceId, shared.fx.conversationId, message, { source: 'connector', platform: 'line' })).rejects.toBeInstanceOf(
			LiveDocumentNotFound
		);
		expect(shared.server.collab.hocuspocus.documents.has(shared.fx.docName)).toBe(false);
	});

	it('a message an agent pushes into the server-only window is removed again', async () => {
		const conversationId = await shared.fx.newConversation();
		const client = connect(shared.server.url, `conversation:${conversationId}`, shared.fx.agentA.token);
		expect(await client.ready).toBe(true);
		conversationDoc(client.doc).messages.push([outgoing(crypto.randomUUID(), new Date(), 'fake customer message')]);
		await waitFor(() => conversationDoc(client.doc).messages.length === 0, 'the forged message to go');
		disconnect(client);
	});
});

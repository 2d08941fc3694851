import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { testPool } from '../helpers/db.ts';
import { connect, createFixture, disconnect, startServer, waitFor, type Fixture, type TestServer } from './helpers.ts';
import { conversationDoc, draftText, readMessages, readNotes } from '../../src/lib/conversation-doc.ts';
import { addNote } from '../../src/lib/conversation-edits.ts';

const db = testPool();
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
// Each run gets its own channels, so parallel runs on one Redis never meet.
const redisPrefix = `chatmai-test-${crypto.randomUUID().slice(0, 8)}`;
let one: TestServer;
let two: TestServer;
let fx: Fixture;

beforeAll(async () => {
	one = await startServer(db, { redisUrl, redisPrefix, redisSyncDelayMs: 200 });
	two = await startServer(db, { redisUrl, redisPrefix, redisSyncDelayMs: 200 });
	fx = await createFixture(db);
});
afterAll(async () => {
	await Promise.all([one.close(), two.close()]);
	await db.end();
});

describe('two instances on Redis', () => {
	it('agent A on instance 1, agent B on instance 2 and a server-side write on instance 1 all converge', async () => {
		const a = connect(one.url, fx.docName, fx.agentA.token);
		const b = connect(two.url, fx.docName, fx.agentB.token);
		expect(await a.ready).toBe(true);
		expect(await b.ready).toBe(true);

		const p = new Y.XmlElement('paragraph');
		p.insert(0, [new Y.XmlText('Hello from instance one')]);
		conversationDoc(a.doc).draft.insert(0, [p]);
		const note = addNote(b.doc, { body: 'Written on instance two', authorId: fx.agentB.userId, authorName: 'Malee' });

		const messageId = crypto.randomUUID();
		const sentAt = new Date();
		await db.query(
			`insert into messages (id, workspace_id, conversation_id, connection_id, direction, sender_type, body, sent_at)
			 values ($1, $2, $3, $4, 'in', 'customer', 'Is my parcel on the way?', $5)`,
			[messageId, fx.workspaceId, fx.conversationId, fx.connectionId, sentAt]
		);
		await one.collab.live.appendMessage(
			fx.workspaceId,
			fx.conversationId,
			{ id: messageId, direction: 'in', senderType: 'customer', authorId: null, body: 'Is my parcel on the way?', attachments: [], sentAt: sentAt.toISOString(), deliveryState: null, deliveryError: null },
			{ source: 'connector', platform: 'line' }
		);

		await waitFor(() => draftText(b.doc) === 'Hello from instance one', 'the draft on instance 2');
		await waitFor(() => readNotes(a.doc).some((n) => n.id === note.id), 'the note on instance 1');
		await waitFor(() => readMessages(b.doc).some((m) => m.id === messageId), 'the message on instance 2');
		expect(Y.encodeStateVector(a.doc)).toEqual(Y.encodeStateVector(b.doc));
		// The note is projected once, by the instance its author is connected to.
		await waitFor(async () => (await db.query('select 1 from notes where id = $1', [note.id])).rowCount === 1, 'the note row');
		const { rows } = await db.query('select author_id from notes where conversation_id = $1', [fx.conversationId]);
		expect(rows).toEqual([{ author_id: fx.agentB.userId }]);
		disconnect(a, b);
	});
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { testPool } from '../helpers/db.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { connect, createFixture, disconnect, startServer, waitFor, type Fixture, type TestServer } from '../collab/helpers.ts';
import { conversationDoc, draftText, readNotes } from '../../src/lib/conversation-doc.ts';
import { addNote } from '../../src/lib/conversation-edits.ts';

/**
 * Issue 11 reliability battery: Redis goes away and comes back under two instances. The real
 * Redis is shared, so a TCP proxy in front of it is cut and restored instead. Documents must
 * converge again within a bounded wait, with nothing lost.
 */
const db = testPool();
const redisUrl = new URL(process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379');
const redisPrefix = `chatmai-test-${crypto.randomUUID().slice(0, 8)}`;
const CONVERGE_MS = 10_000;
/** Long enough for ioredis to give up on the updates published meanwhile (maxRetriesPerRequest). */
const OUTAGE_MS = 4000;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
let one: TestServer;
let two: TestServer;
let fx: Fixture;

beforeAll(async () => {
	proxy = await startTcpProxy(Number(redisUrl.port || 6379), redisUrl.hostname);
	const viaProxy = `redis://127.0.0.1:${proxy.port}`;
	one = await startServer(db, { redisUrl: viaProxy, redisPrefix, redisSyncDelayMs: 200 });
	two = await startServer(db, { redisUrl: viaProxy, redisPrefix, redisSyncDelayMs: 200 });
	fx = await createFixture(db);
});
afterAll(async () => {
	proxy.restore();
	await Promise.all([one?.close(), two?.close()]);
	await proxy?.close();
	await db.end();
});

function write(doc: Y.Doc, text: string): void {
	const p = new Y.XmlElement('paragraph');
	p.insert(0, [new Y.XmlText(text)]);
	conversationDoc(doc).draft.insert(conversationDoc(doc).draft.length, [p]);
}

describe('Redis restarted under two instances', () => {
	it('converges both instances’ documents again within 10 s, losing no edit made during the outage', async () => {
		const a = connect(one.url, fx.docName, fx.agentA.token);
		const b = connect(two.url, fx.docName, fx.agentB.token);
		try {
			expect(await a.ready).toBe(true);
			expect(await b.ready).toBe(true);
			write(a.doc, 'before the outage');
			await waitFor(() => draftText(b.doc).includes('before the outage'), 'the first edit on instance 2');

			proxy.cut();
			write(a.doc, 'typed on instance 1 while Redis was down');
			const note = addNote(b.doc, { body: 'noted on instance 2 while Redis was down', authorId: fx.agentB.userId, authorName: 'Malee' });
			await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
			const apartDuringOutage = !draftText(b.doc).includes('while Redis was down');
			proxy.restore();
			const restoredAt = Date.now();
			await waitFor(
				() => draftText(b.doc).includes('typed on instance 1 while Redis was down') && readNotes(a.doc).some((n) => n.id === note.id),
				'both outage edits on both instances',
				CONVERGE_MS
			);
			const convergedMs = Date.now() - restoredAt;
			write(b.doc, 'after the outage');
			await waitFor(() => draftText(a.doc).includes('after the outage'), 'an edit after the outage on instance 1', CONVERGE_MS);
			await waitFor(() => Buffer.from(Y.encodeStateVector(a.doc)).equals(Buffer.from(Y.encodeStateVector(b.doc))), 'equal state vectors', CONVERGE_MS);
			console.log(`Redis cut for ${OUTAGE_MS} ms: instances apart during the outage: ${apartDuringOutage}; converged ${convergedMs} ms after Redis came back`);
			expect(draftText(a.doc)).toBe(draftText(b.doc));
			expect(readNotes(a.doc).map((n) => n.id)).toEqual(readNotes(b.doc).map((n) => n.id));
			// And what PostgreSQL keeps has every edit, and the note its row.
			await Promise.all([one.collab.flush(), two.collab.flush()]);
			const { rows } = await db.query('select state from collab_documents where name = $1', [fx.docName]);
			const stored = new Y.Doc();
			Y.applyUpdate(stored, rows[0].state);
			expect(draftText(stored)).toBe(draftText(a.doc));
			expect(readNotes(stored).some((n) => n.id === note.id)).toBe(true);
			expect((await db.query('select 1 from notes where id = $1', [note.id])).rowCount).toBe(1);
		} finally {
			disconnect(a, b);
		}
	});
});

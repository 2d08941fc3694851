import { afterAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type pg from 'pg';
import { testPool } from '../helpers/db.ts';
import { connect, createFixture, disconnect, startServer, waitFor } from './helpers.ts';
import { conversationDoc, draftText, readNotes } from '../../src/lib/conversation-doc.ts';
import { addNote } from '../../src/lib/conversation-edits.ts';

const db = testPool();
afterAll(() => db.end());

function write(doc: Y.Doc, text: string): void {
	const p = new Y.XmlElement('paragraph');
	p.insert(0, [new Y.XmlText(text)]);
	conversationDoc(doc).draft.insert(conversationDoc(doc).draft.length, [p]);
}

describe('persistence', () => {
	it('after the server is killed and restarted, drafts and notes are still there', async () => {
		const fx = await createFixture(db);
		const first = await startServer(db, { debounceMs: 50, maxDebounceMs: 200 });
		const a = connect(first.url, fx.docName, fx.agentA.token);
		expect(await a.ready).toBe(true);
		write(a.doc, 'Dear customer, your parcel');
		const note = addNote(a.doc, { body: 'Check the tracking number', authorId: fx.agentA.userId, authorName: 'Somchai' });
		await waitFor(async () => {
			const { rows } = await db.query('select state from collab_documents where name = $1', [fx.docName]);
			if (!rows[0]) return false;
			const stored = new Y.Doc();
			Y.applyUpdate(stored, rows[0].state);
			return draftText(stored) === 'Dear customer, your parcel' && readNotes(stored).length === 1;
		}, 'the debounced store');
		disconnect(a);
		await first.close();

		const second = await startServer(db);
		const b = connect(second.url, fx.docName, fx.agentB.token);
		expect(await b.ready).toBe(true);
		expect(draftText(b.doc)).toBe('Dear customer, your parcel');
		expect(readNotes(b.doc).map((n) => [n.id, n.body])).toEqual([[note.id, 'Check the tracking number']]);
		disconnect(b);
		await second.close();
	});

	it('shutting down with changes still waiting for the debounce stores them', async () => {
		const fx = await createFixture(db);
		// A debounce far longer than the test: only the shutdown flush can store the change.
		const server = await startServer(db, { debounceMs: 60_000, maxDebounceMs: 120_000 });
		const a = connect(server.url, fx.docName, fx.agentA.token);
		expect(await a.ready).toBe(true);
		write(a.doc, 'typed just before SIGTERM');
		const live = server.collab.hocuspocus.documents.get(fx.docName)!;
		await waitFor(() => draftText(live) === 'typed just before SIGTERM', 'the change to reach the server');
		expect(server.collab.hocuspocus.debouncer.isDebounced(`onStoreDocument-${fx.docName}`)).toBe(true);
		await server.close();
		disconnect(a);
		const { rows } = await db.query('select state from collab_documents where name = $1', [fx.docName]);
		const stored = new Y.Doc();
		Y.applyUpdate(stored, rows[0].state);
		expect(draftText(stored)).toBe('typed just before SIGTERM');
	});

	it('a store that fails is retried until the database accepts it', async () => {
		const fx = await createFixture(db);
		let failures = 2;
		const flaky = new Proxy(db, {
			get(target, prop, receiver) {
				if (prop !== 'query') return Reflect.get(target, prop, receiver);
				return (text: string, values?: unknown[]) => {
					if (typeof text === 'string' && text.includes('insert into collab_documents') && failures > 0) {
						failures -= 1;
						return Promise.reject(Object.assign(new Error('Connection terminated unexpectedly'), { code: '57P01' }));
					}
					return target.query(text, values);
				};
			}
		}) as pg.Pool;
		const server = await startServer(flaky, { debounceMs: 20, maxDebounceMs: 100, storeRetryBaseMs: 10 });
		const a = connect(server.url, fx.docName, fx.agentA.token);
		expect(await a.ready).toBe(true);
		write(a.doc, 'must not be lost');
		await waitFor(async () => (await db.query('select 1 from collab_documents where name = $1', [fx.docName])).rowCount === 1, 'the retried store');
		expect(failures).toBe(0);
		disconnect(a);
		await server.close();
	});
});

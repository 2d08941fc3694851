import { afterAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { connect, createFixture, disconnect, startServer, waitFor } from './helpers.ts';
import type { Hocuspocus } from '@hocuspocus/server';
import * as Y from 'yjs';
import { conversationDoc, draftText } from '../../src/lib/conversation-doc.ts';
import type { ServerContext } from '../../collab/context.ts';

const db = testPool();
afterAll(() => db.end());

function writeDraft(doc: Y.Doc, text: string): void {
	const p = new Y.XmlElement('paragraph');
	p.insert(0, [new Y.XmlText(text)]);
	conversationDoc(doc).draft.insert(0, [p]);
}

describe('a document being unloaded while something opens it', () => {
	it('keeps the document that was opened while its unload was deciding, and the write made through it', async () => {
		const fx = await createFixture(db);
		const server = await startServer(db, { debounceMs: 20, maxDebounceMs: 100 });
		const { hocuspocus } = server.collab;
		const context: ServerContext = { kind: 'server', origin: { source: 'system' }, workspaceId: fx.workspaceId, conversationId: fx.conversationId };
		let opening: ReturnType<Hocuspocus['openDirectConnection']> | undefined;
		// A writer (or a socket) asks for the document at the last moment of its unload hooks, the
		// way one arrives during extension-redis's sync delay.
		hocuspocus.configuration.extensions.push({
			async beforeUnloadDocument({ documentName }: { documentName: string }) {
				await new Promise((resolve) => setTimeout(resolve, 50));
				// Asked for a moment after the hooks end, in the same turn as the unload's final check.
				if (documentName === fx.docName) queueMicrotask(() => (opening ??= hocuspocus.openDirectConnection(fx.docName, context)));
			}
		});
		try {
			const a = connect(server.url, fx.docName, fx.agentA.token);
			expect(await a.ready).toBe(true);
			disconnect(a);
			const writer = await waitFor(() => opening, 'the unload to begin').then((started) => started!);
			await writer.transact((document) => writeDraft(document, 'Kept through the unload'));
			await waitFor(() => hocuspocus.unloadingDocuments.size === 0, 'the unload to decide');
			expect(hocuspocus.documents.get(fx.docName)).toBe(writer.document);
			await writer.disconnect();

			const b = connect(server.url, fx.docName, fx.agentB.token);
			expect(await b.ready).toBe(true);
			expect(draftText(b.doc)).toBe('Kept through the unload');
			disconnect(b);
		} finally {
			await server.close();
		}
	});

	it('loads a fresh copy for an agent who opens the document after it was dropped', async () => {
		const fx = await createFixture(db);
		const server = await startServer(db, { debounceMs: 20, maxDebounceMs: 100 });
		try {
			const a = connect(server.url, fx.docName, fx.agentA.token);
			expect(await a.ready).toBe(true);
			const first = server.collab.hocuspocus.documents.get(fx.docName);
			disconnect(a);
			await waitFor(() => !server.collab.hocuspocus.documents.has(fx.docName), 'the document to unload');
			const b = connect(server.url, fx.docName, fx.agentB.token);
			expect(await b.ready).toBe(true);
			const second = server.collab.hocuspocus.documents.get(fx.docName);
			expect(second).toBeDefined();
			expect(second).not.toBe(first);
			await server.collab.live.setMeta(fx.workspaceId, fx.conversationId, { status: 'pending' }, { source: 'system' });
			await waitFor(() => conversationDoc(b.doc).meta.get('status') === 'pending', 'the server-side write to reach agent B');
			disconnect(b);
			// Nobody left: it unloads again once the write is stored.
			await waitFor(() => !server.collab.hocuspocus.documents.has(fx.docName), 'the document to unload again');
		} finally {
			await server.close();
		}
	});
});

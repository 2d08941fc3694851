import type { Document, Hocuspocus } from '@hocuspocus/server';

/**
 * Closes Hocuspocus's unload/attach race. `unloadDocument` awaits the `beforeUnloadDocument` hooks
 * (extension-redis waits a whole second there) and then drops the document if nothing is
 * connected; `createDocument` meanwhile hands that same document to a socket or a direct
 * connection, which attaches a few microtasks later, after the check, to a destroyed copy. Later
 * writes then load a fresh copy the newcomer never sees.
 *
 * Here a document is held (counted as one direct connection) from the moment `createDocument`
 * finds it until the next turn of the event loop, by which time its caller has attached: an
 * unload that is deciding in between sees a connection and keeps the document. A document
 * already dropped but still finishing its unload hooks is waited for, so the fresh copy is not
 * unsubscribed from Redis by the old one's `afterUnloadDocument`. When the hold ends on a
 * document that nobody attached to (the socket closed meanwhile), it is unloaded as Hocuspocus
 * would have.
 *
 * Why a patch and not a hook: the only public veto is throwing in `beforeUnloadDocument`, and no
 * hook runs when `createDocument` hands out a document it already holds, so no extension can know
 * that a caller is about to attach. `tests/collab/unload.test.ts` reproduces the race.
 */
export function holdDocumentsWhileAttaching(hocuspocus: Hocuspocus): void {
	const create = hocuspocus.createDocument.bind(hocuspocus);
	const release = (document: Document) => {
		document.removeDirectConnection();
		if (document.getConnectionsCount() === 0 && hocuspocus.documents.get(document.name) === document) void hocuspocus.unloadDocument(document);
	};
	hocuspocus.createDocument = async (documentName, ...rest) => {
		for (;;) {
			const unloading = hocuspocus.unloadingDocuments.get(documentName);
			if (!unloading || hocuspocus.documents.has(documentName)) break;
			await unloading;
		}
		// Held in the same turn as the lookup inside `create`: no unload can decide in between.
		const existing = hocuspocus.documents.get(documentName);
		existing?.addDirectConnection();
		let document: Document;
		try {
			document = await create(documentName, ...rest);
		} catch (error) {
			if (existing) release(existing);
			throw error;
		}
		if (document !== existing) {
			if (existing) release(existing);
			document.addDirectConnection();
		}
		setImmediate(() => release(document));
		return document;
	};
}

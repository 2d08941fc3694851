import * as Y from 'yjs';
import type { Queryable } from '../db.ts';
import type { LiveDocuments } from '../ports.ts';
import { conversationDoc, conversationDocName, isUuid } from '../../conversation-doc.ts';
import { removeFromDocument } from '../live-window.ts';
import { errorMessage, logger } from '../log.ts';

/**
 * Purged history must leave the live documents too: a conversation document carries the recent
 * messages window and recent notes, and its stored Yjs state would otherwise keep what retention
 * deleted from PostgreSQL. A document is rewritten through the collab server when one runs here
 * (`LiveDocuments.purge`: open copies and every instance see it), else its stored state is
 * re-encoded in place. Both drop, by id, every message and note that is no longer a row; the
 * rewritten state is encoded from a garbage-collected document, so deleted content is gone too.
 */

const log = logger('privacy');

/** A conversation whose history retention shortened. */
export interface PurgedConversation {
	workspaceId: string;
	conversationId: string;
}

/** The message and note ids a document holds that are no longer rows of its conversation. */
export async function missingFromDatabase(db: Queryable, conversationId: string, doc: Y.Doc): Promise<{ messageIds: string[]; noteIds: string[] }> {
	const { messages, notes } = conversationDoc(doc);
	const ids = (items: unknown[]) => [...new Set(items.map((i) => (i && typeof i === 'object' ? (i as { id?: unknown }).id : undefined)).filter(isUuid))];
	const messageIds = ids(messages.toArray());
	const noteIds = ids(notes.toArray());
	const [m, n] = await Promise.all([
		db.query<{ id: string }>('select id from messages where conversation_id = $1 and id = any($2::uuid[])', [conversationId, messageIds]),
		db.query<{ id: string }>('select id from notes where conversation_id = $1 and id = any($2::uuid[])', [conversationId, noteIds])
	]);
	const keptMessages = new Set(m.rows.map((r) => r.id));
	const keptNotes = new Set(n.rows.map((r) => r.id));
	return { messageIds: messageIds.filter((id) => !keptMessages.has(id)), noteIds: noteIds.filter((id) => !keptNotes.has(id)) };
}

/** Re-encodes one stored document without its purged content; false when nothing is stored. */
export async function purgeStoredDocument(db: Queryable, conversationId: string): Promise<boolean> {
	const name = conversationDocName(conversationId);
	// updated_at as text: a JS Date would drop its microseconds and never match again.
	const { rows } = await db.query<{ state: Buffer; version: string }>('select state, updated_at::text as version from collab_documents where name = $1', [name]);
	if (!rows[0]) return false;
	const doc = new Y.Doc({ gc: true });
	try {
		Y.applyUpdate(doc, new Uint8Array(rows[0].state));
		const missing = await missingFromDatabase(db, conversationId, doc);
		doc.transact(() => removeFromDocument(doc, missing));
		// Encoded from a fresh document: only what is still there, no deleted content.
		const fresh = new Y.Doc({ gc: true });
		Y.applyUpdate(fresh, Y.encodeStateAsUpdate(doc));
		// Unchanged since read, or a concurrent store wins (the collab server purges its own copy).
		await db.query('update collab_documents set state = $2, updated_at = now() where name = $1 and updated_at = $3::timestamptz', [
			name,
			Buffer.from(Y.encodeStateAsUpdate(fresh)),
			rows[0].version
		]);
		fresh.destroy();
		return true;
	} finally {
		doc.destroy();
	}
}

/**
 * Rewrites the documents of conversations whose history was purged: through `live` when given
 * (the collab server of this process), else in the stored state. Run it after the rows are gone
 * and outside the privacy lock's client (the collab server uses the pool). Returns how many were
 * rewritten; a failure is logged (`document_purge_failed`). A later load still drops purged
 * messages from the window (the seed), not purged notes.
 */
export async function purgeDocuments(db: Queryable, live: Pick<LiveDocuments, 'purge'> | undefined, conversations: PurgedConversation[]): Promise<number> {
	let done = 0;
	for (const { workspaceId, conversationId } of conversations) {
		try {
			if (live) await live.purge(workspaceId, conversationId);
			else await purgeStoredDocument(db, conversationId);
			done += 1;
		} catch (error) {
			log.warn('document_purge_failed', { conversation_id: conversationId, error: errorMessage(error) });
		}
	}
	return done;
}

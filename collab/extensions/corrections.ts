import type { Document } from '@hocuspocus/server';
import type * as Y from 'yjs';
import type pg from 'pg';
import { conversationDoc, isUuid, type Note } from '../../src/lib/conversation-doc.ts';
import { sameNote, sameWindowEntry } from '../../src/lib/server/live-window.ts';
import { serverOrigin, type AgentContext } from '../context.ts';
import { loadWindowMessages, type ConversationSnapshot } from '../window.ts';

/**
 * How the projection brings a document back to what PostgreSQL holds after an agent's edit that
 * broke a rule: each change is made as the server (never projected, never echoed).
 */

/** Changes the document as the server. */
export function correct(document: Document, agent: AgentContext, reason: string, fn: () => void): void {
	if (document.isDestroyed) return;
	document.transact(
		fn,
		serverOrigin({ kind: 'server', origin: { source: 'system', reason }, workspaceId: agent.workspaceId, conversationId: agent.conversationId })
	);
}

/** Why the document's window is not what PostgreSQL holds, or null when it only repeats rows. */
export async function windowForged(db: pg.Pool, document: Document, agent: AgentContext, snapshot: ConversationSnapshot): Promise<string | null> {
	const { messages, delivery } = conversationDoc(document);
	const wanted = new Map(snapshot.messages.map((m) => [m.id, m]));
	const entries = messages.toArray();
	const present = new Set<string>();
	const unknown: string[] = [];
	for (const entry of entries) {
		if (!entry || typeof entry !== 'object' || typeof entry.id !== 'string') return 'malformed';
		const row = wanted.get(entry.id);
		if (row) {
			if (!sameWindowEntry(entry, row)) return 'changed';
			present.add(entry.id);
		} else unknown.push(entry.id);
	}
	for (const id of wanted.keys()) if (!present.has(id)) return 'removed';
	const states = [...delivery.entries()];
	const rows = await loadWindowMessages(db, agent.conversationId, [...new Set([...unknown, ...states.map(([id]) => id)])]);
	for (const id of unknown) {
		const row = rows.get(id);
		if (!row || !sameWindowEntry(entries.find((e) => e.id === id)!, row)) return 'unknown';
	}
	for (const [id, state] of states) {
		const row = rows.get(id);
		// A state may lag its row (queued while the row says sent), never claim what no row says.
		if (!row || !state || typeof state !== 'object' || (state.state !== 'queued' && state.state !== row.deliveryState)) return 'delivery';
	}
	return null;
}

/** What to change in the notes array: ids to remove, and the only copy to keep of others. */
export interface NotesFix {
	remove: Set<string>;
	/** id → the note as its row says it. */
	restore: Map<string, Note>;
	/** Drop entries that are not notes at all. */
	malformed: boolean;
}

/**
 * Applies a `NotesFix` inside the caller's transaction: removed ids go, a restored note keeps its
 * last copy's place (any other copy is dropped) or is inserted at its time's place.
 */
export function fixNotes(notes: Y.Array<Note>, { remove, restore, malformed }: NotesFix): void {
	if (malformed) dropMalformed(notes);
	const current = notes.toArray();
	const placed = new Set<string>();
	for (let i = current.length - 1; i >= 0; i--) {
		const id = current[i]?.id;
		if (remove.has(id) || (restore.has(id) && placed.has(id))) notes.delete(i, 1);
		else if (restore.has(id)) {
			placed.add(id);
			if (!sameNote(current[i], restore.get(id)!)) {
				notes.delete(i, 1);
				notes.insert(i, [restore.get(id)!]);
			}
		}
	}
	for (const [id, note] of restore) {
		if (placed.has(id)) continue;
		const now = notes.toArray();
		let index = now.length;
		while (index > 0 && Date.parse(now[index - 1]?.createdAt) > Date.parse(note.createdAt)) index -= 1;
		notes.insert(index, [note]);
	}
}

function dropMalformed(notes: Y.Array<Note>): void {
	const current = notes.toArray();
	for (let i = current.length - 1; i >= 0; i--) if (!current[i] || typeof current[i] !== 'object' || !isUuid(current[i].id)) notes.delete(i, 1);
}

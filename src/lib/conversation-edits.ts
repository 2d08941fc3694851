import type * as Y from 'yjs';
import { conversationDoc, type ConversationStatus, type Note } from './conversation-doc.ts';

/**
 * The edits an agent's browser makes to a conversation document (status, assignee, labels, notes).
 * Each is a proposal: the server's projection turns it into a conversation command, which checks
 * the actor and writes PostgreSQL, and reverts what the command refuses.
 */

export function setStatus(doc: Y.Doc, status: ConversationStatus, snoozedUntil: string | null = null): void {
	const { meta } = conversationDoc(doc);
	doc.transact(() => {
		meta.set('status', status);
		meta.set('snoozedUntil', status === 'snoozed' ? snoozedUntil : null);
	});
}

export function setAssignee(doc: Y.Doc, userId: string | null): void {
	conversationDoc(doc).meta.set('assigneeId', userId);
}

export function addLabel(doc: Y.Doc, label: string): void {
	conversationDoc(doc).labels.set(label.trim(), true);
}

export function removeLabel(doc: Y.Doc, label: string): void {
	conversationDoc(doc).labels.delete(label);
}

export interface NewNote {
	body: string;
	mentions?: string[];
	/** The author as the client knows it; the server stamps the real one. */
	authorId: string;
	authorName: string;
}

/** Appends a note (clients only ever append). Returns what was written. */
export function addNote(doc: Y.Doc, input: NewNote): Note {
	const note: Note = {
		id: crypto.randomUUID(),
		authorId: input.authorId,
		authorName: input.authorName,
		body: input.body,
		mentions: [...new Set(input.mentions ?? [])],
		createdAt: new Date().toISOString()
	};
	conversationDoc(doc).notes.push([note]);
	return note;
}

import type * as Y from 'yjs';
import { sameDeliveryError } from '../delivery-errors.ts';
import { WINDOW_BODY_LIMIT, WINDOW_SIZE, compareMessages, conversationDoc, type Delivery, type Note, type WindowMessage } from '../conversation-doc.ts';

/**
 * The server's writes into a conversation document: the parts only the server owns (the recent
 * `messages` window, `delivery` states, emptying the shared draft) and the comparisons it checks
 * client copies with. The browser never imports this file; the shared schema and the readers are
 * in src/lib/conversation-doc.ts, the edits an agent makes in src/lib/conversation-edits.ts.
 */

/** Cuts an over-long body for the window. */
export function toWindowMessage(message: WindowMessage): WindowMessage {
	if (message.body.length <= WINDOW_BODY_LIMIT) return message;
	return { ...message, body: message.body.slice(0, WINDOW_BODY_LIMIT), truncated: true };
}

/**
 * Inserts `message` at its (sentAt, id) place, drops duplicates and trims the front
 * so the window keeps at most `windowSize` entries. Run it inside one transaction. Returns false
 * when the message was already there or is older than a full window.
 */
export function insertIntoWindow(doc: Y.Doc, message: WindowMessage, windowSize = WINDOW_SIZE): boolean {
	const { messages } = conversationDoc(doc);
	dedupeWindow(messages);
	const current = messages.toArray();
	if (current.some((m) => m.id === message.id)) return false;
	let index = current.length;
	while (index > 0 && compareMessages(current[index - 1], message) > 0) index -= 1;
	if (index === 0 && current.length >= windowSize) return false;
	messages.insert(index, [toWindowMessage(message)]);
	trimWindow(doc, windowSize);
	return true;
}

/**
 * `insertIntoWindow` for many messages in one pass (run it inside one transaction):
 * the window is read once, duplicates (in the window or in `batch`) are skipped, and only the
 * messages that still belong to the newest `windowSize` are written, so a burst larger than the
 * window leaves no inserted-then-trimmed entries behind. Runs of messages that land at the same
 * place are inserted together (at the end, the usual case, that is one insert). Returns the
 * messages written.
 */
export function insertManyIntoWindow(doc: Y.Doc, batch: readonly WindowMessage[], windowSize = WINDOW_SIZE): WindowMessage[] {
	const { messages } = conversationDoc(doc);
	dedupeWindow(messages);
	const current = messages.toArray();
	const known = new Set(current.map((m) => m.id));
	const fresh: WindowMessage[] = [];
	for (const message of batch) {
		if (known.has(message.id)) continue;
		known.add(message.id);
		fresh.push(message);
	}
	if (fresh.length === 0) return [];
	fresh.sort(compareMessages);
	// The newest `windowSize` of window ∪ batch (both sorted: walk them from the end); a new message
	// older than all of those is never written.
	let keep = fresh;
	if (current.length + fresh.length > windowSize) {
		const ordered = current.slice().sort(compareMessages); // already in order, unless two writers raced
		let i = ordered.length - 1;
		let j = fresh.length - 1;
		for (let taken = 0; taken < windowSize && j >= 0; taken++) {
			if (i >= 0 && compareMessages(ordered[i], fresh[j]) > 0) i -= 1;
			else j -= 1;
		}
		keep = fresh.slice(j + 1);
	}
	if (keep.length === 0) return [];
	// Insert from the newest down so earlier indexes stay valid; consecutive messages at one index go in together.
	let index = current.length;
	let run: WindowMessage[] = [];
	for (let i = keep.length - 1; i >= 0; i--) {
		const message = keep[i];
		let at = index;
		while (at > 0 && compareMessages(current[at - 1], message) > 0) at -= 1;
		if (at !== index && run.length > 0) {
			messages.insert(index, run.map(toWindowMessage));
			run = [];
		}
		index = at;
		run.unshift(message);
	}
	if (run.length > 0) messages.insert(index, run.map(toWindowMessage));
	trimWindow(doc, windowSize);
	return keep;
}

/** Deletes the oldest entries (and their delivery states) beyond `windowSize`. */
export function trimWindow(doc: Y.Doc, windowSize = WINDOW_SIZE): void {
	const { messages, delivery } = conversationDoc(doc);
	const excess = messages.length - windowSize;
	if (excess <= 0) return;
	for (const message of messages.slice(0, excess)) delivery.delete(message.id);
	messages.delete(0, excess);
}

function dedupeWindow(messages: Y.Array<WindowMessage>): void {
	const seen = new Set<string>();
	const duplicates: number[] = [];
	messages.toArray().forEach((m, i) => {
		if (!m || typeof m.id !== 'string' || seen.has(m.id)) duplicates.push(i);
		else seen.add(m.id);
	});
	for (const i of duplicates.reverse()) messages.delete(i, 1);
}

/**
 * Makes the window equal `desired` (the most recent messages from PostgreSQL, in
 * order) with the fewest changes: removes entries that are not wanted or are duplicates, inserts
 * the missing ones at their place, and brings delivery states in line.
 */
export function reconcileWindow(doc: Y.Doc, desired: WindowMessage[], deliveries: Map<string, Delivery>): void {
	const { messages, delivery } = conversationDoc(doc);
	const wanted = new Map(desired.map((m) => [m.id, m]));
	const seen = new Set<string>();
	const drop: number[] = [];
	messages.toArray().forEach((m, i) => {
		// Compared by content, not by id alone: an entry whose text a client rewrote is replaced.
		if (!m || !wanted.has(m.id) || seen.has(m.id) || !sameWindowEntry(m, wanted.get(m.id)!)) drop.push(i);
		else seen.add(m.id);
	});
	for (const i of drop.reverse()) messages.delete(i, 1);
	for (const message of desired) {
		if (seen.has(message.id)) continue;
		const current = messages.toArray();
		let index = current.length;
		while (index > 0 && compareMessages(current[index - 1], message) > 0) index -= 1;
		messages.insert(index, [toWindowMessage(message)]);
	}
	for (const key of [...delivery.keys()]) if (!wanted.has(key)) delivery.delete(key);
	const entries = new Map(messages.toArray().map((m) => [m.id, m]));
	for (const [id, state] of deliveries) putDelivery(delivery, entries.get(id), id, state);
}

/**
 * True when a window entry says what the message row says (`expected` from PostgreSQL): same
 * sender, author, time, attachments and body (cut as the window cuts it). The state it entered with
 * is not compared: it legitimately lags the row, and `delivery` carries the change.
 */
export function sameWindowEntry(entry: WindowMessage, expected: WindowMessage): boolean {
	if (!entry || typeof entry !== 'object') return false;
	const cut = toWindowMessage(expected);
	return (
		entry.id === cut.id &&
		entry.direction === cut.direction &&
		entry.senderType === cut.senderType &&
		(entry.authorId ?? null) === (cut.authorId ?? null) &&
		entry.body === cut.body &&
		Boolean(entry.truncated) === Boolean(cut.truncated) &&
		entry.sentAt === cut.sentAt &&
		JSON.stringify(entry.attachments ?? []) === JSON.stringify(cut.attachments ?? [])
	);
}

/** True when a note in the document says what its row says (`expected`, stamped from PostgreSQL). */
export function sameNote(note: Note, expected: Note): boolean {
	if (!note || typeof note !== 'object') return false;
	return (
		note.id === expected.id &&
		note.authorId === expected.authorId &&
		note.authorName === expected.authorName &&
		note.body === expected.body &&
		note.createdAt === expected.createdAt &&
		JSON.stringify(note.mentions ?? []) === JSON.stringify(expected.mentions ?? [])
	);
}

/**
 * Removes messages (with their delivery states) and notes by id, e.g. once retention
 * has deleted their rows. Run it inside one transaction; with garbage collection on (the server's
 * documents), the removed content is gone from the next encoded state.
 */
export function removeFromDocument(doc: Y.Doc, ids: { messageIds?: Iterable<string>; noteIds?: Iterable<string> }): number {
	const { messages, delivery, notes } = conversationDoc(doc);
	const messageIds = new Set(ids.messageIds ?? []);
	const noteIds = new Set(ids.noteIds ?? []);
	let removed = 0;
	const drop = <T extends { id: string }>(array: Y.Array<T>, gone: Set<string>) => {
		const items = array.toArray();
		for (let i = items.length - 1; i >= 0; i--) {
			if (items[i] && gone.has(items[i].id)) {
				array.delete(i, 1);
				removed += 1;
			}
		}
	};
	if (messageIds.size) {
		drop(messages, messageIds);
		for (const id of messageIds) if (delivery.has(id)) delivery.delete(id);
	}
	if (noteIds.size) drop(notes, noteIds);
	return removed;
}

/** True when `state` says no more than what the window entry already carries. */
function sameAsEntered(message: WindowMessage | undefined, state: Delivery): boolean {
	return !!message && message.deliveryState === state.state && sameDeliveryError(message.deliveryError, state.reason);
}

/**
 * The `delivery` map holds only states that differ from what the window entry carries (a reply
 * entered as queued, then sent or failed): most outgoing messages enter with their final state
 * and cost no entry. Readers go through `readMessages`, which falls back to the entry's own state.
 */
function putDelivery(delivery: Y.Map<Delivery>, message: WindowMessage | undefined, id: string, state: Delivery): void {
	const existing = delivery.get(id);
	if (sameAsEntered(message, state)) {
		if (existing) delivery.delete(id);
		return;
	}
	if (!existing || existing.state !== state.state || existing.reason !== state.reason) delivery.set(id, state);
}

/** Records the delivery state of an outgoing message that is in the window. */
export function setDelivery(doc: Y.Doc, messageId: string, state: Delivery): boolean {
	const { messages, delivery } = conversationDoc(doc);
	const message = messages.toArray().find((m) => m.id === messageId);
	if (!message) return false;
	putDelivery(delivery, message, messageId, state);
	return true;
}

/** `setDelivery` for many messages of one document (one read of the window). */
export function setDeliveries(doc: Y.Doc, states: Iterable<[messageId: string, state: Delivery]>): void {
	const { messages, delivery } = conversationDoc(doc);
	const entries = new Map(messages.toArray().map((m) => [m.id, m]));
	for (const [id, state] of states) if (entries.has(id)) putDelivery(delivery, entries.get(id), id, state);
}

/** Empties the shared draft for everyone (after Send). */
export function clearDraft(doc: Y.Doc): void {
	const { draft } = conversationDoc(doc);
	if (draft.length > 0) draft.delete(0, draft.length);
}

import * as Y from 'yjs';
import { sameDeliveryError, type DeliveryError } from './delivery-errors.ts';

/**
 * The schema of a conversation document, shared by the browser and the server (no node imports).
 *
 * One Yjs document per conversation, named `conversation:<uuid>`. Its shared types:
 *
 * | name       | type                     | written by                         |
 * |------------|--------------------------|------------------------------------|
 * | `meta`     | Y.Map                    | agents (status, snoozedUntil, assigneeId) |
 * | `labels`   | Y.Map<label, true>       | agents (a set: concurrent adds merge) |
 * | `notes`    | Y.Array<Note> (plain)    | agents append; the server corrects the author |
 * | `draft`    | Y.XmlFragment            | agents through Tiptap's Collaboration extension; the AI appends its own paragraphs (ai-draft-doc.ts) |
 * | `ai`       | Y.Map                    | the server: whether the AI is writing into `draft` (ai-draft-doc.ts) |
 * | `messages` | Y.Array<WindowMessage>   | the server only: the bounded recent window |
 * | `delivery` | Y.Map<messageId, Delivery> | the server only: delivery states that changed after the message entered the window |
 *
 * PostgreSQL is the source of truth for messages; `messages` holds at most WINDOW_SIZE of the most
 * recent ones, in (sentAt, id) order. See collab/README.md for how the window is trimmed.
 */

export const DOC_PREFIX = 'conversation:';

/** How many recent messages the document carries; older ones page in over the REST API. */
export const WINDOW_SIZE = 50;

/** Longer message bodies are cut in the window (flagged `truncated`); the REST API has them whole. */
export const WINDOW_BODY_LIMIT = 4000;

/** Notes kept in the document; older ones stay in PostgreSQL. */
export const NOTES_LIMIT = 200;

export const NOTE_BODY_LIMIT = 10_000;

export const LABEL_PATTERN = /^[\p{L}\p{N}][\p{L}\p{M}\p{N} _\-/.]{0,39}$/u;
export const LABELS_LIMIT = 30;

export const STATUSES = ['open', 'pending', 'snoozed', 'resolved'] as const;
export type ConversationStatus = (typeof STATUSES)[number];

export const DELIVERY_STATES = ['queued', 'sent', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

export type MessageDirection = 'in' | 'out';
export type SenderType = 'customer' | 'agent' | 'ai' | 'system';

export interface WindowAttachment {
	kind: 'image' | 'video' | 'audio' | 'file' | 'sticker' | 'other';
	url: string;
	name?: string;
	mimeType?: string;
}

/** One message in the recent window. Plain JSON, never mutated in place (delivery lives apart). */
export interface WindowMessage {
	id: string;
	direction: MessageDirection;
	senderType: SenderType;
	/** The agent who wrote an outgoing message; null for the customer, the AI, the system. */
	authorId: string | null;
	body: string;
	/** True when `body` was cut to WINDOW_BODY_LIMIT characters. */
	truncated?: boolean;
	attachments: WindowAttachment[];
	/** ISO 8601. */
	sentAt: string;
	/** Delivery state when the message entered the window; an entry in `delivery` overrides it (see `readMessages`). */
	deliveryState: DeliveryState | null;
	/** Why it failed, as a code the UI words (src/lib/delivery-errors.ts); read through `readDeliveryError` (older documents hold a sentence). */
	deliveryError: DeliveryError | null;
}

export interface Delivery {
	state: DeliveryState;
	/** Why it failed, as a code the UI words; null unless failed. Read through `readDeliveryError`. */
	reason: DeliveryError | null;
	/** ISO 8601. */
	at: string;
}

/** A message as the UI shows it: the window entry with its current delivery state. */
export interface LiveMessage extends WindowMessage {
	delivery: Delivery | null;
}

export interface Note {
	/** A UUID made by the client; it becomes the notes row's id. */
	id: string;
	/** Stamped by the server from the session: a client's claim is replaced. */
	authorId: string;
	authorName: string;
	body: string;
	/** User ids of the members mentioned; each gets a notification. */
	mentions: string[];
	/** ISO 8601. */
	createdAt: string;
}

export interface ConversationMeta {
	status: ConversationStatus;
	/** ISO 8601, set only while status is 'snoozed'. */
	snoozedUntil: string | null;
	assigneeId: string | null;
}

/** The presence every client shows, under `user` in its awareness state. Stamped by the server. */
export interface PresenceUser {
	id: string;
	name: string;
	color: string;
	role: string;
}

/** What a client may put in its own awareness state besides `user` (which the server overwrites). */
export interface PresenceState {
	user?: PresenceUser;
	typing?: boolean;
	viewing?: boolean;
	/** Tiptap's CollaborationCaret keeps the cursor here. */
	cursor?: unknown;
}

export interface ConversationDoc {
	meta: Y.Map<unknown>;
	labels: Y.Map<true>;
	notes: Y.Array<Note>;
	draft: Y.XmlFragment;
	messages: Y.Array<WindowMessage>;
	delivery: Y.Map<Delivery>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function isUuid(value: unknown): value is string {
	return typeof value === 'string' && UUID.test(value);
}

/** A conversation's document name: `conversation:<uuid>`, the UUID in lower case (the one spelling accepted). */
export function conversationDocName(conversationId: string): string {
	return DOC_PREFIX + conversationId.toLowerCase();
}

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * The conversation id of a document name, or null unless the name is exactly
 * `conversation:<uuid>` with the UUID in lower case. Other spellings of the same UUID are refused:
 * each would otherwise be a separate stored document that retention and deletion never find.
 */
export function parseConversationDocName(name: string): string | null {
	if (!name.startsWith(DOC_PREFIX)) return null;
	const id = name.slice(DOC_PREFIX.length);
	return CANONICAL_UUID.test(id) ? id : null;
}

/** Binds the shared types by name. Call once per Y.Doc; the types are created on first access. */
export function conversationDoc(doc: Y.Doc): ConversationDoc {
	return {
		meta: doc.getMap('meta'),
		labels: doc.getMap('labels') as Y.Map<true>,
		notes: doc.getArray<Note>('notes'),
		draft: doc.getXmlFragment('draft'),
		messages: doc.getArray<WindowMessage>('messages'),
		delivery: doc.getMap<Delivery>('delivery')
	};
}

export function isStatus(value: unknown): value is ConversationStatus {
	return typeof value === 'string' && (STATUSES as readonly string[]).includes(value);
}

export function readMeta(doc: Y.Doc): ConversationMeta {
	const { meta } = conversationDoc(doc);
	const status = meta.get('status');
	const snoozedUntil = meta.get('snoozedUntil');
	const assigneeId = meta.get('assigneeId');
	return {
		status: isStatus(status) ? status : 'open',
		snoozedUntil: typeof snoozedUntil === 'string' ? snoozedUntil : null,
		assigneeId: isUuid(assigneeId) ? assigneeId : null
	};
}

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

export function readLabels(doc: Y.Doc): string[] {
	return [...conversationDoc(doc).labels.keys()].sort();
}

export function addLabel(doc: Y.Doc, label: string): void {
	conversationDoc(doc).labels.set(label.trim(), true);
}

export function removeLabel(doc: Y.Doc, label: string): void {
	conversationDoc(doc).labels.delete(label);
}

export function isValidLabel(label: unknown): label is string {
	return typeof label === 'string' && LABEL_PATTERN.test(label);
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

export function readNotes(doc: Y.Doc): Note[] {
	const seen = new Set<string>();
	return conversationDoc(doc)
		.notes.toArray()
		.filter((note) => note && typeof note === 'object' && !seen.has(note.id) && seen.add(note.id));
}

/**
 * The window as the UI shows it: deduplicated by id (two server instances can race on a refresh),
 * sorted by (sentAt, id), each with its current delivery state.
 */
export function readMessages(doc: Y.Doc): LiveMessage[] {
	const { messages, delivery } = conversationDoc(doc);
	const byId = new Map<string, WindowMessage>();
	for (const message of messages.toArray()) if (message && !byId.has(message.id)) byId.set(message.id, message);
	return [...byId.values()].sort(compareMessages).map((message) => ({ ...message, delivery: delivery.get(message.id) ?? enteredWith(message) }));
}

/** The delivery state a window entry carries from when it entered the window (the `delivery` map only holds changes since). */
function enteredWith(message: WindowMessage): Delivery | null {
	return message.deliveryState ? { state: message.deliveryState, reason: message.deliveryError ?? null, at: message.sentAt } : null;
}

/** True when `state` says no more than what the window entry already carries. */
function sameAsEntered(message: WindowMessage | undefined, state: Delivery): boolean {
	return !!message && message.deliveryState === state.state && sameDeliveryError(message.deliveryError, state.reason);
}

export function compareMessages(a: Pick<WindowMessage, 'sentAt' | 'id'>, b: Pick<WindowMessage, 'sentAt' | 'id'>): number {
	// Two toISOString() values (24 characters, UTC) order as strings: no parsing on the hot path.
	if (a.sentAt !== b.sentAt) {
		if (isUtcIso(a.sentAt) && isUtcIso(b.sentAt)) return a.sentAt < b.sentAt ? -1 : 1;
		const at = Date.parse(a.sentAt);
		const bt = Date.parse(b.sentAt);
		if (at !== bt) return at - bt;
	}
	return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/** `YYYY-MM-DDTHH:mm:ss.sssZ`, the only shape toISOString() gives for years 0–9999. */
function isUtcIso(value: string): boolean {
	return typeof value === 'string' && value.length === 24 && value.charCodeAt(23) === 90 /* Z */ && value.charCodeAt(10) === 84 /* T */;
}

/** Cuts an over-long body for the window. */
export function toWindowMessage(message: WindowMessage): WindowMessage {
	if (message.body.length <= WINDOW_BODY_LIMIT) return message;
	return { ...message, body: message.body.slice(0, WINDOW_BODY_LIMIT), truncated: true };
}

/**
 * Server only. Inserts `message` at its (sentAt, id) place, drops duplicates and trims the front
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
 * Server only. `insertIntoWindow` for many messages in one pass (run it inside one transaction):
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

/** Server only. Deletes the oldest entries (and their delivery states) beyond `windowSize`. */
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
 * Server only. Makes the window equal `desired` (the most recent messages from PostgreSQL, in
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
 * Server only. Removes messages (with their delivery states) and notes by id, e.g. once retention
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

/** Server only. Records the delivery state of an outgoing message that is in the window. */
export function setDelivery(doc: Y.Doc, messageId: string, state: Delivery): boolean {
	const { messages, delivery } = conversationDoc(doc);
	const message = messages.toArray().find((m) => m.id === messageId);
	if (!message) return false;
	putDelivery(delivery, message, messageId, state);
	return true;
}

/** Server only. `setDelivery` for many messages of one document (one read of the window). */
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

const BLOCKS = new Set(['paragraph', 'heading', 'blockquote', 'listItem', 'codeBlock', 'bulletList', 'orderedList']);

/**
 * The draft as plain text: one line per block, hard breaks as newlines, mentions as `@label`.
 * What the outbox sends to platforms that take text only.
 */
export function draftText(source: Y.Doc | Y.XmlFragment): string {
	const fragment = source instanceof Y.Doc ? conversationDoc(source).draft : source;
	const lines: string[] = [];
	let line = '';
	const walk = (node: Y.XmlElement | Y.XmlText | Y.XmlHook | Y.XmlFragment): void => {
		if (node instanceof Y.XmlText) {
			for (const op of node.toDelta() as Array<{ insert: unknown }>) {
				if (typeof op.insert === 'string') line += op.insert;
			}
			return;
		}
		if (node instanceof Y.XmlElement) {
			if (node.nodeName === 'hardBreak') {
				line += '\n';
				return;
			}
			if (node.nodeName === 'mention') {
				line += '@' + (node.getAttribute('label') ?? node.getAttribute('id') ?? '');
				return;
			}
			const block = BLOCKS.has(node.nodeName);
			for (const child of node.toArray()) walk(child as Y.XmlElement | Y.XmlText);
			if (block && !node.nodeName.endsWith('List')) {
				lines.push(line);
				line = '';
			}
			return;
		}
		if (node instanceof Y.XmlFragment) for (const child of node.toArray()) walk(child as Y.XmlElement | Y.XmlText);
	};
	walk(fragment);
	if (line) lines.push(line);
	return lines.join('\n').trim();
}

const COLORS = ['#e11d48', '#db2777', '#9333ea', '#4f46e5', '#2563eb', '#0891b2', '#0d9488', '#059669', '#65a30d', '#ca8a04', '#ea580c', '#78716c'];

/** A stable colour per user, so an agent keeps their colour on every device. */
export function colorFor(userId: string): string {
	let hash = 0;
	for (let i = 0; i < userId.length; i++) hash = (hash * 31 + userId.charCodeAt(i)) >>> 0;
	return COLORS[hash % COLORS.length];
}

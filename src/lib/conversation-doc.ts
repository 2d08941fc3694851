import * as Y from 'yjs';
import type { DeliveryError } from './delivery-errors.ts';

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

export function readLabels(doc: Y.Doc): string[] {
	return [...conversationDoc(doc).labels.keys()].sort();
}

export function isValidLabel(label: unknown): label is string {
	return typeof label === 'string' && LABEL_PATTERN.test(label);
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
export function enteredWith(message: WindowMessage): Delivery | null {
	return message.deliveryState ? { state: message.deliveryState, reason: message.deliveryError ?? null, at: message.sentAt } : null;
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

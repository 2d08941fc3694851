import type * as Y from 'yjs';
import { windowMessageFromRow, type MessageRow } from '../src/lib/server/messages.ts';
import type { Queryable } from '../src/lib/server/db.ts';
import { readDeliveryError } from '../src/lib/delivery-errors.ts';
import { WINDOW_SIZE, NOTES_LIMIT, conversationDoc, isUuid, readMeta, type Delivery, type Note, type WindowMessage } from '../src/lib/conversation-doc.ts';
import { reconcileWindow } from '../src/lib/server/live-window.ts';

/**
 * Brings a loaded document in line with PostgreSQL, the source of truth: the recent messages
 * window and delivery states, meta (status, snooze, assignee), labels, and any note row the
 * document lacks. Runs inside one transaction the caller opens with a server origin.
 */

/** A note row as the document carries it (author stamped from the users table). */
interface NoteRow {
	id: string;
	author_id: string | null;
	author_name: string | null;
	body: string;
	mentions: string[];
	created_at: Date;
}

export function noteFromRow(n: NoteRow): Note {
	return {
		id: n.id,
		authorId: n.author_id ?? '',
		authorName: n.author_name ?? '',
		body: n.body,
		mentions: n.mentions,
		createdAt: n.created_at.toISOString()
	};
}

/** The rows of `ids` that are notes of this conversation, as the document carries them. */
export async function loadNotes(db: Queryable, conversationId: string, ids: string[]): Promise<Map<string, Note>> {
	if (!ids.length) return new Map();
	const { rows } = await db.query<NoteRow>(
		`select n.id, n.author_id, u.name as author_name, n.body, n.mentions, n.created_at
		   from notes n left join users u on u.id = n.author_id
		  where n.conversation_id = $1 and n.id = any($2::uuid[])`,
		[conversationId, ids]
	);
	return new Map(rows.map((row) => [row.id, noteFromRow(row)]));
}

/** The rows of `ids` that are messages of this conversation, as window entries. */
export async function loadWindowMessages(db: Queryable, conversationId: string, ids: string[]): Promise<Map<string, WindowMessage>> {
	const valid = ids.filter(isUuid);
	if (!valid.length) return new Map();
	const { rows } = await db.query<MessageRow>(
		`select id, direction, sender_type, author_id, body, attachments, delivery_state, delivery_error, sent_at
		   from messages where conversation_id = $1 and id = any($2::uuid[])`,
		[conversationId, valid]
	);
	return new Map(rows.map((row) => [row.id, windowMessageFromRow(row)]));
}

export interface ConversationSnapshot {
	messages: WindowMessage[];
	deliveries: Map<string, Delivery>;
	status: string;
	snoozedUntil: string | null;
	assigneeId: string | null;
	labels: string[];
	notes: Note[];
}

export async function loadSnapshot(db: Queryable, conversationId: string, windowSize = WINDOW_SIZE): Promise<ConversationSnapshot | null> {
	return (await loadSnapshots(db, [conversationId], windowSize)).get(conversationId) ?? null;
}

/**
 * The snapshots of several conversations in three queries (a reconnect storm loads hundreds of
 * documents at once: collab/batch.ts groups them). A conversation that does not exist is absent.
 */
export async function loadSnapshots(db: Queryable, conversationIds: string[], windowSize = WINDOW_SIZE): Promise<Map<string, ConversationSnapshot>> {
	const snapshots = new Map<string, ConversationSnapshot>();
	if (!conversationIds.length) return snapshots;
	const [conversations, messages, notes] = await Promise.all([
		db.query<{ id: string; status: string; snoozed_until: Date | null; assignee_id: string | null; labels: string[] }>(
			'select id, status, snoozed_until, assignee_id, labels from conversations where id = any($1::uuid[])',
			[conversationIds]
		),
		db.query<MessageRow & { conversation_id: string }>(
			`select c.id as conversation_id, m.* from unnest($1::uuid[]) c(id) cross join lateral (
			   select id, direction, sender_type, author_id, body, attachments, delivery_state, delivery_error, sent_at
			     from messages where conversation_id = c.id
			    order by sent_at desc, id desc limit $2
			 ) m order by c.id, m.sent_at, m.id`,
			[conversationIds, windowSize]
		),
		db.query<NoteRow & { conversation_id: string }>(
			`select c.id as conversation_id, n.* from unnest($1::uuid[]) c(id) cross join lateral (
			   select n.id, n.author_id, u.name as author_name, n.body, n.mentions, n.created_at
			     from notes n left join users u on u.id = n.author_id
			    where n.conversation_id = c.id order by n.created_at desc limit $2
			 ) n order by c.id, n.created_at`,
			[conversationIds, NOTES_LIMIT]
		)
	]);
	for (const row of conversations.rows) {
		snapshots.set(row.id, {
			messages: [],
			deliveries: new Map(),
			status: row.status,
			snoozedUntil: row.snoozed_until?.toISOString() ?? null,
			assigneeId: row.assignee_id,
			labels: row.labels,
			notes: []
		});
	}
	for (const m of messages.rows) {
		const snapshot = snapshots.get(m.conversation_id);
		if (!snapshot) continue;
		snapshot.messages.push(windowMessageFromRow(m));
		if (m.direction === 'out' && m.delivery_state) {
			snapshot.deliveries.set(m.id, { state: m.delivery_state, reason: readDeliveryError(m.delivery_error), at: m.sent_at.toISOString() });
		}
	}
	for (const n of notes.rows) snapshots.get(n.conversation_id)?.notes.push(noteFromRow(n));
	return snapshots;
}

/** Applies the server-only part of a snapshot (the messages window and delivery states). */
export function applyWindow(doc: Y.Doc, snapshot: Pick<ConversationSnapshot, 'messages' | 'deliveries'>): void {
	const types = conversationDoc(doc);
	// A delivery state already in the document may be newer than the row (it is written right
	// after the row), so a snapshot only fills in missing ones and keeps terminal states.
	const deliveries = new Map(snapshot.deliveries);
	for (const [id, current] of types.delivery.entries()) {
		const fromRow = deliveries.get(id);
		if (fromRow && fromRow.state === 'queued' && current.state !== 'queued') deliveries.set(id, current);
	}
	reconcileWindow(doc, snapshot.messages, deliveries);
}

/** Applies a snapshot to the document, changing only what differs. */
export function applySnapshot(doc: Y.Doc, snapshot: ConversationSnapshot): void {
	const types = conversationDoc(doc);
	applyWindow(doc, snapshot);

	const meta = readMeta(doc);
	if (types.meta.get('status') !== snapshot.status || meta.status !== snapshot.status) types.meta.set('status', snapshot.status);
	if (meta.snoozedUntil !== snapshot.snoozedUntil) types.meta.set('snoozedUntil', snapshot.snoozedUntil);
	if (types.meta.get('assigneeId') !== snapshot.assigneeId) types.meta.set('assigneeId', snapshot.assigneeId);

	const wanted = new Set(snapshot.labels);
	for (const label of [...types.labels.keys()]) if (!wanted.has(label)) types.labels.delete(label);
	for (const label of wanted) if (!types.labels.has(label)) types.labels.set(label, true);

	const present = new Set(types.notes.toArray().map((n) => n?.id));
	for (const note of snapshot.notes) {
		if (present.has(note.id)) continue;
		const current = types.notes.toArray();
		let index = current.length;
		while (index > 0 && Date.parse(current[index - 1]?.createdAt) > Date.parse(note.createdAt)) index -= 1;
		types.notes.insert(index, [note]);
	}
	if (types.notes.length > NOTES_LIMIT) types.notes.delete(0, types.notes.length - NOTES_LIMIT);
}

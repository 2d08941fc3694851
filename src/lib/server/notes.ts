import type pg from 'pg';
import { transaction } from './db.ts';
import { NOTE_BODY_LIMIT, isUuid, type Note } from '../conversation-doc.ts';
import type { WorkspaceScope } from './scope.ts';
import { DomainError } from './errors.ts';

/**
 * Internal notes: the one place a note row (and its @mention notifications) is written; the notes
 * command (commands/notes.ts) calls it for REST, the form action and the live document alike. Any role with the
 * `note` permission may write one (supervisors coach); the author is always the scope's user.
 */

/** Mentions one note may carry. */
export const MENTIONS_LIMIT = 50;

/** Why a note was refused. */
export class NoteRefused extends DomainError<'invalid_note' | 'not_found'> {
	readonly reason: 'invalid_note' | 'not_found';
	constructor(reason: 'invalid_note' | 'not_found') {
		super(
			reason === 'not_found' ? 404 : 400,
			reason,
			reason === 'not_found' ? 'Conversation not found' : 'A note needs text (at most 10,000 characters) and at most 50 mentions'
		);
		this.reason = reason;
	}
}

export interface NewNoteInput {
	/** A client-made UUID (the live document's item id); a fresh one when absent. */
	id?: string;
	body: string;
	mentions?: string[];
}

export interface WrittenNote {
	note: Note;
	/** False when a note with this id already existed (a replay): nothing was written. */
	created: boolean;
}

/** True when `input` is a note the server accepts as written (no trimming, no repair). */
export function isValidNoteInput(input: Partial<NewNoteInput> | null | undefined): input is NewNoteInput {
	if (!input || typeof input !== 'object') return false;
	const { body, mentions, id } = input;
	return (
		(id === undefined || isUuid(id)) &&
		typeof body === 'string' &&
		body.trim().length > 0 &&
		body.length <= NOTE_BODY_LIMIT &&
		!body.includes('\u0000') &&
		(mentions === undefined || (Array.isArray(mentions) && mentions.length <= MENTIONS_LIMIT))
	);
}

/**
 * Writes a note by the scope's user into a conversation of the scope's workspace and notifies each
 * mentioned member (mentions of non-members are dropped). Idempotent by id: a second write with
 * the same id changes nothing and returns the stored note with `created: false`, or refuses with
 * `not_found` when that id belongs to another conversation.
 */
export async function writeNote(db: pg.Pool, scope: WorkspaceScope, conversationId: string, input: NewNoteInput): Promise<WrittenNote> {
	scope.require('note');
	if (!isValidNoteInput(input)) throw new NoteRefused('invalid_note');
	if (!isUuid(conversationId)) throw new NoteRefused('not_found');
	const id = input.id ?? crypto.randomUUID();
	const claimed = [...new Set((input.mentions ?? []).filter(isUuid).map((m) => m.toLowerCase()))];
	const result = await transaction(db, async (client) => {
		const conversation = await client.query('select 1 from conversations where id = $1 and workspace_id = $2', [conversationId, scope.workspaceId]);
		if (!conversation.rowCount) throw new NoteRefused('not_found');
		const members = claimed.length
			? (await client.query<{ user_id: string }>('select user_id from memberships where workspace_id = $1 and user_id = any($2::uuid[])', [scope.workspaceId, claimed]))
					.rows.map((r) => r.user_id)
			: [];
		const mentions = claimed.filter((m) => members.includes(m));
		const inserted = await client.query<{ created_at: Date }>(
			`insert into notes (id, workspace_id, conversation_id, author_id, body, mentions)
			 values ($1, $2, $3, $4, $5, $6) on conflict (id) do nothing returning created_at`,
			[id, scope.workspaceId, conversationId, scope.userId, input.body, mentions]
		);
		if (!inserted.rows[0]) return null;
		for (const userId of mentions) {
			if (userId === scope.userId) continue;
			await client.query(
				`insert into notifications (workspace_id, user_id, kind, conversation_id, actor_id, excerpt) values ($1, $2, 'mention', $3, $4, $5)`,
				[scope.workspaceId, userId, conversationId, scope.userId, input.body.slice(0, 140)]
			);
		}
		return { createdAt: inserted.rows[0].created_at, mentions };
	});
	if (result) {
		return {
			created: true,
			note: { id, authorId: scope.userId, authorName: scope.principal.name, body: input.body, mentions: result.mentions, createdAt: result.createdAt.toISOString() }
		};
	}
	const existing = await readNote(db, conversationId, id);
	if (!existing) throw new NoteRefused('not_found');
	return { created: false, note: existing };
}

/** A note of this conversation as the document carries it, or null. */
export async function readNote(db: pg.Pool, conversationId: string, id: string): Promise<Note | null> {
	const { rows } = await db.query<{ id: string; author_id: string | null; author_name: string | null; body: string; mentions: string[]; created_at: Date }>(
		`select n.id, n.author_id, u.name as author_name, n.body, n.mentions, n.created_at
		   from notes n left join users u on u.id = n.author_id
		  where n.id = $1 and n.conversation_id = $2`,
		[id, conversationId]
	);
	const n = rows[0];
	if (!n) return null;
	return { id: n.id, authorId: n.author_id ?? '', authorName: n.author_name ?? '', body: n.body, mentions: n.mentions, createdAt: n.created_at.toISOString() };
}

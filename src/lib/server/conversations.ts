import { z } from 'zod';
import type { Queryable } from './db.ts';
import { AccessDenied, isUuid, type WorkspaceScope } from './scope.ts';
import { STATUSES, type ConversationStatus } from '../conversation-doc.ts';
import { PLATFORMS } from '../platforms.ts';
import { DomainError } from './errors.ts';
import { clockJoins, DUE_AT } from './clocks.ts';

/**
 * The conversation list behind the inbox and `GET /api/v1/conversations`: filters, search and
 * keyset pagination on (last_message_at, id), which stays as fast on page 1,000 as on page 1 and
 * never skips or repeats a row while new messages arrive. `sort=due` orders by the platform's clock
 * instead (soonest due first, then the late ones by how late, nothing owed last), keyset on (due_at, id).
 */

export const listQuery = z.object({
	/** mine: assigned to me; unassigned; all. @default 'all' */
	filter: z.enum(['mine', 'unassigned', 'all']).default('all'),
	status: z.enum(STATUSES).optional(),
	platform: z.enum(PLATFORMS).optional(),
	connectionId: z.string().uuid().optional(),
	label: z.string().trim().min(1).max(40).optional(),
	/** Customer name or message text; any language (substring match for 3+ characters). */
	q: z.string().trim().min(1).max(200).optional(),
	/** recent: newest message first; due: soonest platform deadline first, nothing owed last. @default 'recent' */
	sort: z.enum(['recent', 'due']).default('recent'),
	cursor: z.string().max(200).optional(),
	limit: z.coerce.number().int().min(1).max(100).default(30)
});
export type ListQuery = z.input<typeof listQuery>;

export interface ConversationSummary {
	id: string;
	platform: string;
	connection: { id: string; name: string };
	contact: { id: string; name: string; avatarUrl: string | null };
	status: ConversationStatus;
	snoozedUntil: string | null;
	assignee: { id: string; name: string } | null;
	labels: string[];
	lastMessageAt: string;
	lastMessagePreview: string;
	unreadCount: number;
	/**
	 * When the platform's clock runs out (see PLATFORM_CLOCKS): the marketplace counts the chat as
	 * answered late, or the Meta window closes. Null when nothing is owed.
	 */
	dueAt: string | null;
}

export interface ConversationPage {
	items: ConversationSummary[];
	/** Pass as `cursor` for the next page; null on the last page. */
	nextCursor: string | null;
}

export class InvalidListCursor extends DomainError<'invalid_cursor'> {
	readonly reason = 'invalid_cursor' as const;
	constructor() {
		super(400, 'invalid_cursor', 'The cursor is not valid');
	}
}

// The cursor keeps PostgreSQL's own text of the timestamp: microseconds survive (a JS Date would
// round them to milliseconds and skip or repeat rows).
function encodeCursor(at: string, id: string): string {
	return Buffer.from(`${at}|${id}`).toString('base64url');
}

const TIMESTAMP_TEXT = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d{1,6})?[+-]\d{2}(:\d{2})?$/;

function decodeCursor(cursor: string): { at: string; id: string } {
	const [at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
	if (!id || !isUuid(id) || !TIMESTAMP_TEXT.test(at ?? '')) throw new InvalidListCursor();
	return { at, id };
}

// The due-sort cursor: "due|<due_at text or empty for nothing owed>|<id>".
function encodeDueCursor(at: string | null, id: string): string {
	return Buffer.from(`due|${at ?? ''}|${id}`).toString('base64url');
}

function decodeDueCursor(cursor: string): { at: string | null; id: string } {
	const [tag, at, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
	if (tag !== 'due' || !id || !isUuid(id) || (at !== '' && !TIMESTAMP_TEXT.test(at ?? ''))) throw new InvalidListCursor();
	return { at: at || null, id };
}

/** Escapes LIKE's wildcards so that a search for "50%" means those characters. */
function likePattern(q: string): string {
	return `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

export async function listConversations(db: Queryable, scope: WorkspaceScope, raw: ListQuery = {}): Promise<ConversationPage> {
	scope.require('read');
	const query = listQuery.parse(raw);
	const values: unknown[] = [scope.workspaceId];
	const where: string[] = ['c.workspace_id = $1'];
	const param = (value: unknown) => {
		values.push(value);
		return `$${values.length}`;
	};

	if (query.filter === 'mine') where.push(`c.assignee_id = ${param(scope.userId)}`);
	if (query.filter === 'unassigned') where.push('c.assignee_id is null');
	if (query.status) where.push(`c.status = ${param(query.status)}`);
	if (query.platform) where.push(`c.platform = ${param(query.platform)}`);
	if (query.connectionId) where.push(`c.connection_id = ${param(query.connectionId)}`);
	if (query.label) where.push(`c.labels @> array[${param(query.label)}]::text[]`);
	if (query.q) {
		const pattern = param(likePattern(query.q));
		const words = param(query.q);
		where.push(`(
			ct.display_name ilike ${pattern}
			or c.id in (
				select m.conversation_id from messages m
				 where m.workspace_id = $1
				   and (m.body ilike ${pattern} or to_tsvector('simple', m.body) @@ websearch_to_tsquery('simple', ${words}))
			)
		)`);
	}
	if (query.cursor && query.sort === 'due') {
		const { at, id } = decodeDueCursor(query.cursor);
		const after = `c.id > ${param(id)}::uuid`;
		if (at === null) where.push(`(${DUE_AT} is null and ${after})`);
		else {
			const due = `${param(at)}::timestamptz`;
			where.push(`(${DUE_AT} > ${due} or (${DUE_AT} = ${due} and ${after}) or ${DUE_AT} is null)`);
		}
	} else if (query.cursor) {
		const { at, id } = decodeCursor(query.cursor);
		where.push(`(c.last_message_at, c.id) < (${param(at)}::timestamptz, ${param(id)}::uuid)`);
	}
	const rows = await selectSummaries(db, where, values, query.limit + 1, query.sort);
	const more = rows.length > query.limit;
	const page = more ? rows.slice(0, query.limit) : rows;
	const last = page.at(-1);
	if (query.sort === 'due') {
		return { items: page.map(toSummary), nextCursor: more && last ? encodeDueCursor(last.due_at_text, last.id) : null };
	}
	return {
		items: page.map(toSummary),
		nextCursor: more && last ? encodeCursor(last.cursor_at, last.id) : null
	};
}

/** One conversation of the scope's workspace, or AccessDenied('not_found'). */
export async function getConversation(db: Queryable, scope: WorkspaceScope, id: string): Promise<ConversationSummary> {
	scope.require('read');
	if (!isUuid(id)) throw new AccessDenied('not_found');
	const rows = await selectSummaries(db, ['c.workspace_id = $1', 'c.id = $2'], [scope.workspaceId, id], 1);
	if (!rows[0]) throw new AccessDenied('not_found');
	return toSummary(rows[0]);
}

const ORDER = {
	recent: 'c.last_message_at desc, c.id desc',
	due: `${DUE_AT} asc nulls last, c.id asc`
} as const;

async function selectSummaries(db: Queryable, where: string[], values: unknown[], limit: number, sort: keyof typeof ORDER = 'recent') {
	const { rows } = await db.query(
		`select c.id, c.platform, c.status, c.snoozed_until, c.labels, c.last_message_at, c.last_message_at::text as cursor_at, c.last_message_preview,
		        c.unread_count, ${DUE_AT} as due_at, ${DUE_AT}::text as due_at_text, pc.id as connection_id, pc.name as connection_name,
		        ct.id as contact_id, ct.display_name, ct.avatar_url, u.id as assignee_id, u.name as assignee_name
		   from conversations c
		   join contacts ct on ct.id = c.contact_id
		   join platform_connections pc on pc.id = c.connection_id
		   left join users u on u.id = c.assignee_id
		   ${clockJoins('c')}
		  where ${where.join(' and ')}
		  order by ${ORDER[sort]}
		  limit ${Number(limit)}`,
		values
	);
	return rows;
}

function toSummary(r: Record<string, any>): ConversationSummary {
	return {
		id: r.id,
		platform: r.platform,
		connection: { id: r.connection_id, name: r.connection_name },
		contact: { id: r.contact_id, name: r.display_name, avatarUrl: r.avatar_url },
		status: r.status,
		snoozedUntil: r.snoozed_until?.toISOString() ?? null,
		assignee: r.assignee_id ? { id: r.assignee_id, name: r.assignee_name } : null,
		labels: r.labels,
		lastMessageAt: r.last_message_at.toISOString(),
		lastMessagePreview: r.last_message_preview,
		unreadCount: r.unread_count,
		dueAt: r.due_at?.toISOString() ?? null
	};
}

/**
 * An agent opened the conversation: its unread count goes back to zero. When it was not zero,
 * `updated_at` moves too, so the changes feed carries the new count to every other agent's list;
 * opening an already-read conversation changes nothing and wakes no one.
 */
export async function markRead(db: Queryable, scope: WorkspaceScope, id: string): Promise<void> {
	scope.require('read');
	if (!isUuid(id)) throw new AccessDenied('not_found');
	await db.query(`update conversations set unread_count = 0, updated_at = now() where id = $1 and workspace_id = $2 and unread_count <> 0`, [
		id,
		scope.workspaceId
	]);
}

/**
 * The live inbox's changes feed: conversations of the workspace changed (new message, status,
 * assignee, labels) since `cursor`, oldest change first. Clients poll it every few seconds and
 * merge what comes back into the list they show; it works the same on PostgreSQL and on the
 * embedded database (which cannot deliver NOTIFY across connections).
 */
export interface ConversationChanges {
	items: ConversationSummary[];
	/** Pass back as `since` on the next poll. */
	cursor: string;
	/** True when more changes are waiting: poll again at once. */
	more: boolean;
}

export const CHANGES_LIMIT = 100;

/** Where the changes feed starts for a client that has just loaded the list. */
export async function changesCursor(db: Queryable, scope: WorkspaceScope): Promise<string> {
	scope.require('read');
	const { rows } = await db.query(
		`select coalesce(max(updated_at), now())::text as at from conversations where workspace_id = $1`,
		[scope.workspaceId]
	);
	return encodeCursor(rows[0].at, '00000000-0000-0000-0000-000000000000');
}

export async function listConversationChanges(db: Queryable, scope: WorkspaceScope, since: string): Promise<ConversationChanges> {
	scope.require('read');
	const { at, id } = decodeCursor(since);
	const { rows: changed } = await db.query(
		`select c.id, c.updated_at::text as changed_at from conversations c
		  where c.workspace_id = $1 and (c.updated_at, c.id) > ($2::timestamptz, $3::uuid)
		  order by c.updated_at, c.id
		  limit ${CHANGES_LIMIT + 1}`,
		[scope.workspaceId, at, id]
	);
	const more = changed.length > CHANGES_LIMIT;
	const page = changed.slice(0, CHANGES_LIMIT);
	const last = page.at(-1);
	if (!last) return { items: [], cursor: since, more: false };
	const rows = await selectSummaries(db, ['c.workspace_id = $1', 'c.id = any($2::uuid[])'], [scope.workspaceId, page.map((r) => r.id)], CHANGES_LIMIT);
	return { items: rows.map(toSummary), cursor: encodeCursor(last.changed_at, last.id), more };
}

import { z } from 'zod';
import type { Queryable } from './db.ts';
import { AccessDenied, isUuid, type WorkspaceScope } from './scope.ts';
import { STATUSES, type ConversationStatus } from '../conversation-doc.ts';
import { PLATFORMS } from '../platforms.ts';
import { conversationsChanged } from './workspace-feed.ts';
import { DomainError } from './errors.ts';
import { clockJoins, DUE_AT } from './clocks.ts';

/**
 * The conversation list behind the inbox and `GET /api/v1/conversations`: filters, search and
 * keyset pagination on (last_message_at, id), which stays as fast on page 1,000 as on page 1 and
 * never skips or repeats a row while new messages arrive. `sort=due` orders by the platform's clock
 * instead (soonest due first, then the late ones by how late, nothing owed last), keyset on (due_at, id).
 */

export const listQuery = z.object({
	/** mine: assigned to me; unassigned; failed: a reply failed in the end; all. @default 'all' */
	filter: z.enum(['mine', 'unassigned', 'failed', 'all']).default('all'),
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
	/** Replies in it whose delivery failed in the end (retry them from the conversation). */
	failedReplies: number;
	/** Grows with every write of the row: of two copies of one conversation, the higher is newer. */
	version: number;
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
	if (query.filter === 'failed') where.push('c.failed_replies > 0');
	if (query.status) where.push(`c.status = ${param(query.status)}`);
	if (query.platform) where.push(`c.platform = ${param(query.platform)}`);
	if (query.connectionId) where.push(`c.connection_id = ${param(query.connectionId)}`);
	if (query.label) where.push(`c.labels @> array[${param(query.label)}]::text[]`);
	if (query.q) {
		const pattern = param(likePattern(query.q));
		const words = param(query.q);
		where.push(`(
			ct.display_name ilike ${pattern}
			or ct.custom_name ilike ${pattern}
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
		        c.unread_count, c.failed_replies, ${DUE_AT} as due_at, ${DUE_AT}::text as due_at_text, c.change_seq::text as change_seq, pc.id as connection_id, pc.name as connection_name,
		        ct.id as contact_id, coalesce(ct.custom_name, ct.display_name) as display_name, ct.avatar_url, u.id as assignee_id, u.name as assignee_name
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
		failedReplies: r.failed_replies,
		version: Number(r.change_seq),
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
	const { rowCount } = await db.query(`update conversations set unread_count = 0, updated_at = now() where id = $1 and workspace_id = $2 and unread_count <> 0`, [
		id,
		scope.workspaceId
	]);
	if (rowCount) conversationsChanged([{ workspaceId: scope.workspaceId, conversationId: id }]);
}

/**
 * The changes feed: conversations of the workspace changed (new message, status, assignee, labels,
 * read) since `cursor`, in the order of the transactions that wrote them. Browsers catch up through
 * it once per (re)connect of the live channel (collab/README.md, "The workspace feed") and receive
 * the rest pushed; integrations page through it.
 *
 * The cursor is (transaction id, conversation id) of the last row read. Only rows written by
 * transactions older than every transaction still running in this database are read
 * (`conversation_feed_horizon()`, migrations/0018), so a row a transaction commits after a later
 * one was read cannot fall behind a cursor already handed out. A long writing transaction holds
 * the feed back until it ends; the live push does not wait for it.
 */
export interface ConversationChanges {
	items: ConversationSummary[];
	/** Pass back as `since` on the next call. */
	cursor: string;
	/** True when more changes are waiting: ask again at once. */
	more: boolean;
}

export const CHANGES_LIMIT = 100;

const XID_CURSOR = /^x(\d{1,20})\|([0-9a-f-]{36})$/;

function encodeChangeCursor(xid: string, id: string): string {
	return Buffer.from(`x${xid}|${id}`).toString('base64url');
}

/** A feed cursor: the new (transaction) kind, or a timestamp one handed out before migration 0018. */
function decodeChangeCursor(cursor: string): { xid: string; id: string } | { at: string; id: string } {
	const text = Buffer.from(cursor, 'base64url').toString('utf8');
	const match = XID_CURSOR.exec(text);
	if (match && isUuid(match[2])) return { xid: match[1], id: match[2] };
	return decodeCursor(cursor);
}

/** Where the changes feed starts for a client that has just loaded the list. */
export async function changesCursor(db: Queryable, scope: WorkspaceScope): Promise<string> {
	scope.require('read');
	// Everything below the horizon is in the list just loaded or older; above it, the feed has it.
	const { rows } = await db.query(`select (conversation_feed_horizon()::text::numeric - 1)::text as xid`);
	return encodeChangeCursor(rows[0].xid, 'ffffffff-ffff-ffff-ffff-ffffffffffff');
}

export async function listConversationChanges(db: Queryable, scope: WorkspaceScope, since: string): Promise<ConversationChanges> {
	scope.require('read');
	const cursor = decodeChangeCursor(since);
	const values: unknown[] = [scope.workspaceId];
	let after: string;
	if ('xid' in cursor) {
		values.push(cursor.xid, cursor.id);
		after = '(c.change_xid, c.id) > ($2::text::xid8, $3::uuid)';
	} else {
		// An older timestamp cursor: once, everything written since its time, then transaction order.
		values.push(cursor.at);
		after = 'c.updated_at > $2::timestamptz';
	}
	const { rows: changed } = await db.query(
		`select c.id, c.change_xid::text as xid from conversations c
		  where c.workspace_id = $1 and ${after}
		    and c.change_xid < (select conversation_feed_horizon())
		  order by c.change_xid, c.id
		  limit ${CHANGES_LIMIT + 1}`,
		values
	);
	const more = changed.length > CHANGES_LIMIT;
	const page = changed.slice(0, CHANGES_LIMIT);
	const last = page.at(-1);
	if (!last) return { items: [], cursor: since, more: false };
	const items = await summariesOf(db, scope.workspaceId, page.map((r) => r.id));
	return { items, cursor: encodeChangeCursor(last.xid, last.id), more };
}

/** The list rows of some conversations of one workspace (the live feed pushes them as they change). */
export async function summariesOf(db: Queryable, workspaceId: string, ids: string[]): Promise<ConversationSummary[]> {
	if (!ids.length) return [];
	const rows = await selectSummaries(db, ['c.workspace_id = $1', 'c.id = any($2::uuid[])'], [workspaceId, ids], ids.length);
	return rows.map(toSummary);
}

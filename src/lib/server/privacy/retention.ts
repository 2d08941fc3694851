import type pg from 'pg';
import { deleteExpiredSessions } from '../auth/session.ts';
import { deleteExpiredEmailTokens } from '../email-tokens.ts';
import type { Queryable } from '../db.ts';
import type { PurgedConversation } from './documents.ts';

/**
 * Data retention (privacy policy §5: "Conversation history is retained for up to 12 months").
 * Each workspace keeps its conversation history for `retention_days` (at most 365, whatever the
 * row says); the rest of the housekeeping has fixed ages. Every delete runs in small batches that
 * take their rows with `for update skip locked`, so two instances running at once never block
 * each other or delete a row twice; `withPrivacyLock` additionally keeps them from doing the same
 * work in parallel.
 *
 * These are system jobs: they act for each workspace by its id, not for a user, so they take no
 * WorkspaceScope (like the webhook pipeline's `openConnection`).
 */

/** The policy's upper bound on conversation history, in days. */
export const MAX_RETENTION_DAYS = 365;
/** Processed webhook events are kept this long for debugging, then dropped. */
export const INBOUND_EVENT_DAYS = 30;
/** Read or unread, notifications older than this are dropped. */
export const NOTIFICATION_DAYS = 90;
/** Rate-limit windows are at most an hour; a counter untouched for a day is stale. */
export const RATE_LIMIT_STALE_HOURS = 24;

export interface RetentionOptions {
	/** Rows per delete statement. @default 1000 */
	batchSize?: number;
	/** Count what would be deleted, delete nothing. @default false */
	dryRun?: boolean;
	/** Only this workspace's history (the global housekeeping still runs unless `historyOnly`). */
	workspaceId?: string;
	/** Skip the housekeeping that is not workspace history (sessions, rate limits, …). @default false */
	historyOnly?: boolean;
}

export interface WorkspaceRetentionCounts {
	messages: number;
	notes: number;
	outbox: number;
	conversations: number;
	contacts: number;
	collabDocuments: number;
	invitations: number;
	notifications: number;
}

export interface RetentionReport extends WorkspaceRetentionCounts {
	workspaces: number;
	inboundEvents: number;
	/** Signed webhook bodies that were never replayed, past the longest retention. */
	quarantinedWebhooks: number;
	sessions: number;
	rateLimits: number;
	dryRun: boolean;
	/**
	 * Conversations that keep living but lost messages or notes: their live documents must be
	 * rewritten (`purgeDocuments` in ./documents.ts), after the privacy lock is released.
	 */
	purgedConversations: PurgedConversation[];
}

function emptyCounts(): WorkspaceRetentionCounts {
	return { messages: 0, notes: 0, outbox: 0, conversations: 0, contacts: 0, collabDocuments: 0, invitations: 0, notifications: 0 };
}

/**
 * One bounded delete of rows matching `from` (a `table where …` clause whose parameters are
 * `values`), repeated until fewer than a batch is left. Rows are taken `for update skip locked`.
 */
async function deleteInBatches(
	db: Queryable,
	table: string,
	key: string,
	from: string,
	values: unknown[],
	batchSize: number,
	/** Collects the `conversation_id` of every deleted row. */
	touched?: Set<string>
): Promise<number> {
	let total = 0;
	const limit = `$${values.length + 1}`;
	for (;;) {
		const { rowCount, rows } = await db.query<{ conversation_id: string }>(
			`delete from ${table} where ${key} in (select ${key} from ${from} limit ${limit} for update skip locked)${touched ? ' returning conversation_id' : ''}`,
			[...values, batchSize]
		);
		if (touched) for (const row of rows) touched.add(row.conversation_id);
		total += rowCount ?? 0;
		if ((rowCount ?? 0) < batchSize) return total;
	}
}

async function count(db: Queryable, from: string, values: unknown[]): Promise<number> {
	const { rows } = await db.query<{ n: number }>(`select count(*)::int as n from ${from}`, values);
	return rows[0].n;
}

/*
 * What is old in one workspace; $1 = workspace id, $2 = days kept. Conversations and contacts are
 * old when nothing recent is left in them, which reads the same before and after the messages go
 * (so a dry run counts what a real run deletes).
 */
const CUTOFF = 'now() - make_interval(days => $2)';
const RECENT_MESSAGE = `exists (select 1 from messages m where m.conversation_id = c.id and m.created_at >= ${CUTOFF})`;
const LIVE_CONVERSATION = `(c.last_message_at >= ${CUTOFF} or c.created_at >= ${CUTOFF} or ${RECENT_MESSAGE})`;
const OLD = {
	messages: `messages where workspace_id = $1 and created_at < ${CUTOFF}`,
	notes: `notes where workspace_id = $1 and created_at < ${CUTOFF}`,
	outbox: `outbox where workspace_id = $1 and state in ('sent', 'failed') and created_at < ${CUTOFF}`,
	conversations: `conversations c where c.workspace_id = $1 and not ${LIVE_CONVERSATION}`,
	contacts: `contacts k where k.workspace_id = $1 and k.updated_at < ${CUTOFF}
		and not exists (select 1 from conversations c where c.contact_id = k.id and ${LIVE_CONVERSATION})`,
	invitations: `invitations where workspace_id = $1 and created_at < now() - interval '1 day'
		and (expires_at < now() or revoked_at is not null or accepted_at is not null)`,
	notifications: `notifications where workspace_id = $1 and created_at < ${CUTOFF}`
} as const;

/**
 * Purges one workspace's conversation history older than `retentionDays` (capped at 365):
 * messages, notes, sent or failed outbox rows, then conversations left without recent messages
 * (with their live documents), then contacts left without conversations. Also its used or
 * expired invitations and notifications older than 90 days.
 */
export async function purgeWorkspaceHistory(
	db: Queryable,
	workspaceId: string,
	retentionDays: number,
	options: Pick<RetentionOptions, 'batchSize' | 'dryRun'> & {
		/** Receives the ids of surviving conversations that lost messages or notes (their documents need a rewrite). */
		touched?: Set<string>;
	} = {}
): Promise<WorkspaceRetentionCounts> {
	const batch = options.batchSize ?? 1000;
	const days = Math.min(Math.max(1, Math.floor(retentionDays)), MAX_RETENTION_DAYS);
	const notificationDays = Math.min(days, NOTIFICATION_DAYS);
	const counts = emptyCounts();
	const args = [workspaceId, days];
	if (options.dryRun) {
		counts.messages = await count(db, OLD.messages, args);
		counts.notes = await count(db, OLD.notes, args);
		counts.outbox = await count(db, OLD.outbox, args);
		counts.conversations = counts.collabDocuments = await count(db, OLD.conversations, args);
		counts.contacts = await count(db, OLD.contacts, args);
		counts.invitations = await count(db, OLD.invitations, [workspaceId]);
		counts.notifications = await count(db, OLD.notifications, [workspaceId, notificationDays]);
		return counts;
	}
	const touched = new Set<string>();
	counts.messages = await deleteInBatches(db, 'messages', 'id', OLD.messages, args, batch, touched);
	counts.notes = await deleteInBatches(db, 'notes', 'id', OLD.notes, args, batch, touched);
	counts.outbox = await deleteInBatches(db, 'outbox', 'id', OLD.outbox, args, batch);
	for (;;) {
		const { rows } = await db.query<{ id: string }>(
			`delete from conversations where id in (select c.id from ${OLD.conversations} limit $3 for update skip locked) returning id`,
			[...args, batch]
		);
		counts.conversations += rows.length;
		for (const row of rows) touched.delete(row.id);
		if (rows.length) {
			// The live document holds the recent message window: it goes with its conversation.
			const names = rows.map((r) => `conversation:${r.id}`);
			const docs = await db.query(`delete from collab_documents where workspace_id = $1 and name = any($2::text[])`, [workspaceId, names]);
			counts.collabDocuments += docs.rowCount ?? 0;
		}
		if (rows.length < batch) break;
	}
	for (const id of touched) options.touched?.add(id);
	counts.contacts = await deleteInBatches(db, 'contacts', 'id', OLD.contacts, args, batch);
	counts.invitations = await deleteInBatches(db, 'invitations', 'id', OLD.invitations, [workspaceId], batch);
	counts.notifications = await deleteInBatches(db, 'notifications', 'id', OLD.notifications, [workspaceId, notificationDays], batch);
	return counts;
}

/** Housekeeping that belongs to no workspace's history: webhook log and quarantine, sessions, rate limits. */
async function purgeHousekeeping(
	db: Queryable,
	batch: number,
	dryRun: boolean
): Promise<Pick<RetentionReport, 'inboundEvents' | 'quarantinedWebhooks' | 'sessions' | 'rateLimits'>> {
	const events = `inbound_events where (processed_at is not null and processed_at < now() - make_interval(days => $1))
		or received_at < now() - make_interval(days => $2)`;
	const limits = `rate_limits where window_start < now() - make_interval(hours => $1)`;
	const quarantined = `quarantined_webhooks where received_at < now() - make_interval(days => $1)`;
	const eventArgs = [INBOUND_EVENT_DAYS, MAX_RETENTION_DAYS];
	if (dryRun) {
		return {
			inboundEvents: await count(db, events, eventArgs),
			quarantinedWebhooks: await count(db, quarantined, [MAX_RETENTION_DAYS]),
			sessions: await count(db, `sessions where expires_at <= now()`, []),
			rateLimits: await count(db, limits, [RATE_LIMIT_STALE_HOURS])
		};
	}
	await deleteExpiredEmailTokens(db);
	return {
		inboundEvents: await deleteInBatches(db, 'inbound_events', 'id', events, eventArgs, batch),
		quarantinedWebhooks: await deleteInBatches(db, 'quarantined_webhooks', 'id', quarantined, [MAX_RETENTION_DAYS], batch),
		sessions: await deleteExpiredSessions(db),
		rateLimits: await deleteInBatches(db, 'rate_limits', 'key', limits, [RATE_LIMIT_STALE_HOURS], batch)
	};
}

/** Applies every workspace's retention and the housekeeping; returns what it deleted (or would). */
export async function runRetention(db: Queryable, options: RetentionOptions = {}): Promise<RetentionReport> {
	const batch = options.batchSize ?? 1000;
	const dryRun = options.dryRun ?? false;
	const { rows } = await db.query<{ id: string; retention_days: number }>(
		`select id, retention_days from workspaces where deletion_requested_at is null and ($1::uuid is null or id = $1) order by id`,
		[options.workspaceId ?? null]
	);
	const report: RetentionReport = { ...emptyCounts(), workspaces: rows.length, inboundEvents: 0, quarantinedWebhooks: 0, sessions: 0, rateLimits: 0, dryRun, purgedConversations: [] };
	for (const workspace of rows) {
		const touched = new Set<string>();
		const counts = await purgeWorkspaceHistory(db, workspace.id, workspace.retention_days, { batchSize: batch, dryRun, touched });
		for (const key of Object.keys(counts) as (keyof WorkspaceRetentionCounts)[]) report[key] += counts[key];
		for (const conversationId of touched) report.purgedConversations.push({ workspaceId: workspace.id, conversationId });
	}
	if (!options.historyOnly) Object.assign(report, await purgeHousekeeping(db, batch, dryRun));
	return report;
}

/** The advisory lock every privacy job takes, so one instance at a time does the work. */
export const PRIVACY_LOCK_KEY = 0x63686d70; // 'chmp'

/**
 * Runs `fn` on one client holding the privacy advisory lock, or returns null at once when another
 * instance holds it. Everything runs on that one client (the embedded database has a single
 * connection, so a second one would wait forever).
 */
export async function withPrivacyLock<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T | null> {
	const client = await pool.connect();
	let locked = false;
	try {
		const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1) as ok', [PRIVACY_LOCK_KEY]);
		locked = rows[0].ok;
		if (!locked) return null;
		return await fn(client);
	} finally {
		if (locked) await client.query('select pg_advisory_unlock($1)', [PRIVACY_LOCK_KEY]).catch(() => {});
		client.release();
	}
}

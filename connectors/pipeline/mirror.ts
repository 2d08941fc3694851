import type { Queryable } from '../../src/lib/server/db.ts';
import { type LiveAppend, type LiveDocuments, type LiveOrigin } from '../../src/lib/server/ports.ts';
import { windowMessageFromRow, type MessageRow } from '../../src/lib/server/messages.ts';
import { refusedWith } from '../../src/lib/server/errors.ts';
export { queueMirrorSql } from '../../src/lib/server/messages.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';

/**
 * Mirroring committed message rows into live conversation documents, through the LiveDocuments
 * port only. PostgreSQL is written first; the document after. Whoever writes or changes a message
 * queues it in `message_mirror_queue`, in the same transaction, with the delivery state to show
 * (`queueMirrorSql`); the queue row is deleted once the document has that state, so a crash or a
 * failed write in between is replayed by `mirrorSweep` (on start and every minute). Appends are
 * idempotent by message id and delivery states are plain overwrites, so replaying is always safe.
 * The message rows themselves are never updated for this (see migration 0008).
 */

const log = logger('pipeline');

/** A messages row with where it goes. */
export interface MirrorRow extends MessageRow {
	workspace_id: string;
	conversation_id: string;
}

export const MIRROR_COLUMNS = 'id, workspace_id, conversation_id, direction, sender_type, author_id, body, attachments, delivery_state, delivery_error, sent_at';
/** The same columns of a messages table aliased `m`. */
export const MIRROR_COLUMNS_OF_M = MIRROR_COLUMNS.split(', ').map((c) => `m.${c}`).join(', ');


/**
 * Writes rows into their documents and dequeues the ones that made it, guarded by the delivery
 * state they were mirrored with: a state that changed meanwhile stays queued. One `appendMessages`
 * call for all of them (one workspace check, one document transaction per conversation) and one
 * delete: the round trips do not grow with the rows.
 */
export async function mirrorMessages(db: Queryable, live: LiveDocuments, rows: MirrorRow[], origin: (row: MirrorRow) => LiveOrigin): Promise<number> {
	if (rows.length === 0) return 0;
	// One entry per (conversation, origin); appendMessages groups by conversation itself as well.
	const entries = new Map<string, { append: LiveAppend; rows: MirrorRow[] }>();
	for (const row of rows) {
		const rowOrigin = origin(row);
		const key = `${row.conversation_id}|${JSON.stringify(rowOrigin)}`;
		let entry = entries.get(key);
		if (!entry) {
			entry = { append: { workspaceId: row.workspace_id, conversationId: row.conversation_id, messages: [], origin: rowOrigin }, rows: [] };
			entries.set(key, entry);
		}
		entry.append.messages.push(windowMessageFromRow(row));
		entry.rows.push(row);
	}
	const list = [...entries.values()];
	const results = await live.appendMessages(list.map((e) => e.append));
	const done: MirrorRow[] = [];
	results.forEach((result, i) => {
		const { rows: mirrored, append } = list[i];
		// The conversation is gone: nothing to mirror into, ever.
		if (result.status === 'fulfilled' || refusedWith(result.reason, 'not_found')) done.push(...mirrored);
		else log.warn('mirror_failed', { conversation_id: append.conversationId, messages: mirrored.length, error: errorMessage(result.reason) });
	});
	if (done.length > 0) {
		await db.query(
			`delete from message_mirror_queue q
			  using unnest($1::uuid[], $2::text[]) as d (id, state)
			  where q.message_id = d.id and q.delivery_state is not distinct from d.state`,
			[done.map((r) => r.id), done.map((r) => r.delivery_state)]
		);
	}
	return done.length;
}

/**
 * Replays rows committed but not yet in their documents. A queue entry older than a week is given
 * up (its message is out of any window by then; the next load of its document seeds from PostgreSQL).
 */
export async function mirrorSweep(db: Queryable, live: LiveDocuments, limit = 500): Promise<number> {
	await db.query(`delete from message_mirror_queue where queued_at < now() - interval '7 days'`);
	const { rows } = await db.query<MirrorRow>(
		`select ${MIRROR_COLUMNS_OF_M}
		   from message_mirror_queue q join messages m on m.id = q.message_id
		  order by q.queued_at limit $1`,
		[limit]
	);
	if (rows.length === 0) return 0;
	const mirrored = await mirrorMessages(db, live, rows, () => ({ source: 'system', reason: 'mirror_sweep' }));
	log.info('mirror_sweep', { found: rows.length, mirrored });
	return mirrored;
}

/**
 * Mirrors in the background so an ingest pass does not wait on documents: the next batch is
 * committed while the last one is still being appended. Above `highWater` waiting rows, `push`
 * waits (backpressure), so memory stays bounded. Rows not mirrored when the process dies are the
 * sweep's.
 */
export class MirrorQueue {
	readonly #db: Queryable;
	readonly #live: LiveDocuments;
	readonly #highWater: number;
	readonly #chunk: number;
	readonly #around: (chunk: () => Promise<void>) => Promise<void>;
	#queue: { row: MirrorRow; origin: LiveOrigin }[] = [];
	#running = false;
	#waiters: (() => void)[] = [];
	#idle: (() => void)[] = [];

	/**
	 * `highWater`: waiting rows above which `push` waits (@default 5000). `chunk`: rows per
	 * `mirrorMessages` call; the bigger, the more of a conversation's messages share one document
	 * transaction (@default 500). `around`: runs each chunk (the ingest worker paces them while
	 * webhooks are being acknowledged).
	 */
	constructor(
		db: Queryable,
		live: LiveDocuments,
		options: { highWater?: number; chunk?: number; around?: (chunk: () => Promise<void>) => Promise<void> } = {}
	) {
		this.#around = options.around ?? ((chunk) => chunk());
		this.#db = db;
		this.#live = live;
		this.#highWater = options.highWater ?? 5_000;
		this.#chunk = Math.max(1, options.chunk ?? 500);
	}

	async push(rows: MirrorRow[], origin: (row: MirrorRow) => LiveOrigin): Promise<void> {
		for (const row of rows) this.#queue.push({ row, origin: origin(row) });
		if (!this.#running) void this.#run();
		while (this.#queue.length > this.#highWater) await new Promise<void>((resolve) => this.#waiters.push(resolve));
	}

	idle(): Promise<void> {
		if (!this.#running) return Promise.resolve();
		return new Promise((resolve) => this.#idle.push(resolve));
	}

	async #run(): Promise<void> {
		this.#running = true;
		try {
			while (this.#queue.length > 0) {
				await this.#around(async () => {
					const chunk = this.#queue.splice(0, this.#chunk);
					const origins = new Map(chunk.map((c) => [c.row, c.origin]));
					await mirrorMessages(this.#db, this.#live, chunk.map((c) => c.row), (row) => origins.get(row)!).catch((error) =>
						log.warn('mirror_mark_failed', { error: errorMessage(error) })
					);
				});
				if (this.#queue.length <= this.#highWater) for (const wake of this.#waiters.splice(0)) wake();
			}
		} finally {
			this.#running = false;
			for (const wake of this.#waiters.splice(0)) wake();
			for (const done of this.#idle.splice(0)) done();
		}
	}
}

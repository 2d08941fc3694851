import type { Queryable } from '../../src/lib/server/db.ts';
import { LiveDocumentNotFound, type LiveAppend, type LiveDocuments, type LiveOrigin } from '../../src/lib/server/ports.ts';
import { windowMessageFromRow, type MessageRow } from '../../src/lib/server/messages.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';

/**
 * Mirroring committed message rows into live conversation documents, through the LiveDocuments
 * port only. PostgreSQL is written first; the document after. The row's `mirrored_at` stays null
 * until its document has it (with its current delivery state), so a crash or a failed write in
 * between is replayed by `mirrorSweep` (on start and every minute). Appends are idempotent by
 * message id and delivery states are plain overwrites, so replaying is always safe.
 */

const log = logger('pipeline');

/** A messages row with where it goes. */
export interface MirrorRow extends MessageRow {
	workspace_id: string;
	conversation_id: string;
}

export const MIRROR_COLUMNS = 'id, workspace_id, conversation_id, direction, sender_type, author_id, body, attachments, delivery_state, delivery_error, sent_at';


/**
 * Writes rows into their documents and marks the ones that made it, guarded by the delivery state
 * they were mirrored with: a state that changed meanwhile stays unmirrored. One `appendMessages`
 * call for all of them (one workspace check, one document transaction per conversation) and one
 * update to mark them: the round trips do not grow with the rows.
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
		if (result.status === 'fulfilled' || result.reason instanceof LiveDocumentNotFound) done.push(...mirrored);
		else log.warn('mirror_failed', { conversation_id: append.conversationId, messages: mirrored.length, error: errorMessage(result.reason) });
	});
	if (done.length > 0) {
		await db.query(
			`update messages m set mirrored_at = now()
			   from unnest($1::uuid[], $2::text[]) as d (id, state)
			  where m.id = d.id and m.delivery_state is not distinct from d.state`,
			[done.map((r) => r.id), done.map((r) => r.delivery_state)]
		);
	}
	return done.length;
}

/** Replays rows committed but not yet in their documents (recent ones: older ones are out of any window). */
export async function mirrorSweep(db: Queryable, live: LiveDocuments, limit = 500): Promise<number> {
	const { rows } = await db.query<MirrorRow>(
		`select ${MIRROR_COLUMNS} from messages
		  where mirrored_at is null and created_at > now() - interval '7 days'
		  order by created_at limit $1`,
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

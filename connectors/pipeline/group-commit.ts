import { isDatabaseUnavailable, type Queryable } from '../../src/lib/server/db.ts';

/**
 * One statement for a whole batch. The rows' connection must exist, be active and belong to the
 * row's workspace; it is locked FOR KEY SHARE once per statement (not once per row, as a foreign
 * key would), so that deleting it waits for this commit and then deletes these rows too
 * (migration 0006).
 */
const INSERT = `with r as (
	  select (e->>0)::uuid as workspace_id, (e->>1)::uuid as connection_id, e->>2 as platform,
	         e->>3 as event_id, e->>4 as kind, e->5 as payload
	    from jsonb_array_elements($1::jsonb) e
	), active as (
	  select id, workspace_id from platform_connections
	   where id in (select distinct connection_id from r) and status = 'active'
	     for key share
	)
	insert into inbound_events (workspace_id, connection_id, platform, event_id, kind, payload)
	select r.workspace_id, r.connection_id, r.platform, r.event_id, r.kind, r.payload
	  from r join active c on c.id = r.connection_id and c.workspace_id = r.workspace_id
	on conflict (connection_id, event_id) do nothing`;

/**
 * The batch as one JSON array of [workspace, connection, platform, event id, kind, payload]
 * tuples: the payloads are already JSON text and go in as they are, where six typed arrays would
 * escape each one again (measured: the array encoding was a tenth of the route's time).
 */
function encodeBatch(rows: InboundRow[]): string {
	let out = '[';
	for (let i = 0; i < rows.length; i++) {
		const r = rows[i];
		if (i > 0) out += ',';
		out += `[${JSON.stringify(r.workspaceId)},${JSON.stringify(r.connectionId)},${JSON.stringify(r.platform)},${JSON.stringify(r.eventId)},${JSON.stringify(r.kind)},${r.payloadJson}]`;
	}
	return out + ']';
}

/**
 * The same insert for a few rows outside the group commit (the quarantine replay): rows of a
 * connection that is not active are left out. Returns how many rows were new.
 */
export async function insertInboundRows(db: Queryable, rows: InboundRow[]): Promise<number> {
	if (rows.length === 0) return 0;
	const result = await db.query(INSERT, [encodeBatch(rows)]);
	return result.rowCount ?? 0;
}

/** A pool or client of `pg`, which also takes a named statement as a query config. */
type PreparedQueryable = { query(config: { name: string; text: string; values: unknown[] }): Promise<{ rowCount: number | null }> };

/** One normalized event on its way into `inbound_events`. */
export interface InboundRow {
	workspaceId: string;
	connectionId: string;
	platform: string;
	/** The platform's own id of the event (or of the message it carries): the redelivery key. */
	eventId: string;
	kind: string;
	/** The normalized event as JSON text (serialized once, by the route; must be valid JSON). */
	payloadJson: string;
}

export interface GroupCommitOptions {
	/** Where the rows go: the app's pool. Each flush is one statement, so one durable transaction. */
	db: Queryable;
	/**
	 * Flushes that may be in flight at once. While they are all busy, new rows wait and go out
	 * together in the next one: the busier the server, the bigger the batches.
	 * Few is faster: each flush costs PostgreSQL a statement and a commit, so fewer, bigger ones
	 * leave more CPU for the requests. bench/ingest.ts measured 1 and 2 at the same rate, 1 with
	 * less CPU per webhook (54 against 62 µs), and 4 and 8 slower. @default 2 (the pipeline uses 1)
	 */
	maxInFlight?: number;
	/** Most rows in one flush. @default 500 */
	maxRows?: number;
	/**
	 * Runs the insert as a named prepared statement, planned once per connection. Off on the
	 * embedded database (PGlite's single session has no named statements). @default false
	 */
	prepared?: boolean;
	/** Called after every committed flush that inserted at least one row (wakes the ingest worker). */
	onCommit?: (inserted: number) => void;
}

interface Pending {
	rows: InboundRow[];
	resolve: () => void;
	reject: (error: unknown) => void;
}

/**
 * Group commit for webhook rows: concurrent requests' rows are written by one multi-row
 * `INSERT … ON CONFLICT DO NOTHING` (one transaction, one WAL flush), and each request's promise
 * settles only after that statement committed. A failed flush rejects every request in it, so
 * each answers 503 and its platform delivers again; nothing is acknowledged that is not durable.
 *
 * Rows of a connection that is no longer active are not inserted (the join below), so a webhook
 * racing a disconnect leaves nothing to process.
 */
export class GroupCommitter {
	readonly #db: Queryable;
	readonly #maxInFlight: number;
	readonly #maxRows: number;
	readonly #onCommit?: (inserted: number) => void;
	readonly #prepared: boolean;
	#queue: Pending[] = [];
	#inFlight = 0;
	#lastAddAt = -Infinity;
	#idle: (() => void)[] = [];

	constructor(options: GroupCommitOptions) {
		this.#db = options.db;
		this.#maxInFlight = Math.max(1, options.maxInFlight ?? 2);
		this.#maxRows = Math.max(1, options.maxRows ?? 500);
		this.#onCommit = options.onCommit;
		this.#prepared = options.prepared ?? false;
	}

	/** Resolves once `rows` are committed (a redelivered row is skipped, not an error). */
	add(rows: InboundRow[]): Promise<void> {
		if (rows.length === 0) return Promise.resolve();
		this.#lastAddAt = performance.now();
		return new Promise<void>((resolve, reject) => {
			this.#queue.push({ rows, resolve, reject });
			this.#pump();
		});
	}

	/**
	 * True while webhooks are being acknowledged: rows wait or are being written, or some arrived
	 * within the last `quietMs`. The workers pace themselves while it holds (see IngestWorker).
	 */
	pressure(quietMs = 50): boolean {
		return this.#queue.length > 0 || this.#inFlight > 0 || performance.now() - this.#lastAddAt < quietMs;
	}

	/** Resolves once nothing is queued or in flight (for shutdown). */
	drained(): Promise<void> {
		if (this.#inFlight === 0 && this.#queue.length === 0) return Promise.resolve();
		return new Promise((resolve) => this.#idle.push(resolve));
	}

	#pump(): void {
		while (this.#inFlight < this.#maxInFlight && this.#queue.length > 0) {
			const batch: Pending[] = [];
			let count = 0;
			while (this.#queue.length > 0 && (batch.length === 0 || count + this.#queue[0].rows.length <= this.#maxRows)) {
				const next = this.#queue.shift()!;
				batch.push(next);
				count += next.rows.length;
			}
			this.#inFlight += 1;
			void this.#flush(batch).finally(() => {
				this.#inFlight -= 1;
				this.#pump();
				if (this.#inFlight === 0 && this.#queue.length === 0) for (const done of this.#idle.splice(0)) done();
			});
		}
	}

	async #flush(batch: Pending[]): Promise<void> {
		const rows = batch.flatMap((p) => p.rows);
		let inserted: number;
		try {
			const values = [encodeBatch(rows)];
			const result = this.#prepared
				? await (this.#db as Queryable & PreparedQueryable).query({ name: 'chatmai_inbound_events_insert', text: INSERT, values })
				: await this.#db.query(INSERT, values);
			inserted = result.rowCount ?? 0;
		} catch (error) {
			// One request's bad row must not fail its neighbours: retry each alone, unless the
			// database itself is away (then every request answers 503 and is delivered again).
			if (batch.length > 1 && !isDatabaseUnavailable(error)) {
				for (const pending of batch) await this.#flush([pending]);
				return;
			}
			for (const pending of batch) pending.reject(error);
			return;
		}
		for (const pending of batch) pending.resolve();
		if (inserted > 0) this.#onCommit?.(inserted);
	}
}

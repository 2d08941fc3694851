import pg from 'pg';

/** Anything that can run a query: the pool, or one client inside a transaction. */
export interface Queryable {
	query<R extends pg.QueryResultRow = any>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>>;
}

export type Pool = pg.Pool;

export interface PoolOptions {
	connectionString: string;
	/** @default 10 */
	max?: number;
	/** Name shown in pg_stat_activity. @default 'chatmai' */
	applicationName?: string;
}

export function createPool(options: PoolOptions): pg.Pool {
	const pool = new pg.Pool({
		connectionString: options.connectionString,
		max: options.max ?? 10,
		application_name: options.applicationName ?? 'chatmai',
		connectionTimeoutMillis: 5_000,
		idleTimeoutMillis: 30_000
	});
	// An idle client that loses its server must not crash the process; the next query reconnects.
	pool.on('error', (error) => console.error(JSON.stringify({ scope: 'db', event: 'idle_client_error', error: error.message })));
	return pool;
}

/**
 * Holds one pooled client across several statements. The pool listens for errors only on idle
 * clients; a held one whose socket drops between two statements would emit an unhandled 'error'
 * and take the process down. This listens while it is held, and a client that failed is destroyed
 * on release instead of going back to the pool.
 */
export async function holdClient<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
	const client = await pool.connect();
	let broken: Error | undefined;
	const onError = (error: Error) => {
		broken = error;
	};
	client.on('error', onError);
	try {
		return await fn(client);
	} catch (error) {
		if (isDatabaseUnavailable(error)) broken ??= error as Error;
		throw error;
	} finally {
		client.off('error', onError);
		client.release(broken);
	}
}

/**
 * Runs `fn` inside one transaction on one held client: commits when it resolves, rolls back when
 * it throws.
 */
export function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
	return holdClient(pool, async (client) => {
		await client.query('begin');
		try {
			const result = await fn(client);
			await client.query('commit');
			return result;
		} catch (error) {
			await client.query('rollback').catch(() => {});
			throw error;
		}
	});
}

const unavailableCodes = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', '57P01', '57P02', '57P03', '53300', '08000', '08001', '08003', '08006']);

/** True when an error means the database cannot be reached right now (answer 503, retry later). */
export function isDatabaseUnavailable(error: unknown): boolean {
	if (!error || typeof error !== 'object') return false;
	const { code, message } = error as { code?: string; message?: string };
	if (code && unavailableCodes.has(code)) return true;
	return /timeout exceeded when trying to connect|Connection terminated|connect ECONNREFUSED/i.test(message ?? '');
}

/** True for a unique-constraint violation, optionally on one named constraint. */
export function isUniqueViolation(error: unknown, constraint?: string): boolean {
	const e = error as { code?: string; constraint?: string } | null;
	return e?.code === '23505' && (!constraint || e.constraint === constraint);
}

import pg from 'pg';

/** The PostgreSQL server the benchmarks make their scratch databases on. */
export const ADMIN_URL = process.env.BENCH_PG_URL ?? process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

async function admin(sql: string): Promise<void> {
	const client = new pg.Client({ connectionString: ADMIN_URL });
	await client.connect();
	try {
		await client.query(sql);
	} finally {
		await client.end();
	}
}

export interface ScratchDatabase {
	name: string;
	url: string;
	/** Drops it, forcing off whatever is still connected. */
	drop(): Promise<void>;
}

/** A new, empty database for one run of the `bench` benchmark (not migrated). */
export async function scratchDatabase(bench: string): Promise<ScratchDatabase> {
	const name = `chatmai_bench_${bench}_${process.pid}_${Date.now().toString(36)}`;
	await admin(`create database ${name}`);
	const url = new URL(ADMIN_URL);
	url.pathname = `/${name}`;
	return { name, url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

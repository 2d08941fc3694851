import pg from 'pg';
import { inject } from 'vitest';
import { createPool, type Pool } from '../../src/lib/server/db.ts';

/** A pool on this test file's database (see tests/setup/file-database.ts). Close it in afterAll. */
export function testPool(max = 5): Pool {
	return createPool({ connectionString: testDatabaseUrl(), max, applicationName: 'chatmai-test' });
}

/** This test file's own database, cloned from the run's migrated one. */
export function testDatabaseUrl(): string {
	const url = process.env.CHATMAI_TEST_FILE_DATABASE_URL;
	if (!url) throw new Error('tests/setup/file-database.ts did not run (setupFiles in vite.config.ts)');
	return url;
}

/** An e-mail no other test uses. */
export function uniqueEmail(label = 'user'): string {
	return `${label}-${crypto.randomUUID().slice(0, 8)}@example.test`;
}

export interface ScratchDatabase {
	url: string;
	/** Drops it (closing what is still connected). */
	drop(): Promise<void>;
}

/**
 * An empty database of its own, for a test whose claim another server of the same file could
 * disturb (every server runs workers over all the rows of its database). The app migrates it
 * when it starts.
 */
export async function scratchDatabase(label: string): Promise<ScratchDatabase> {
	const name = `chatmai_${label}_${process.pid}_${Date.now().toString(36)}`;
	await adminQuery(`create database ${name}`);
	const url = new URL(inject('adminDatabaseUrl'));
	url.pathname = `/${name}`;
	return { url: url.toString(), drop: () => adminQuery(`drop database if exists ${name} with (force)`) };
}

/** Runs one statement on the server's admin database (creating and dropping databases). */
export async function adminQuery(sql: string): Promise<void> {
	const client = new pg.Client({ connectionString: inject('adminDatabaseUrl') });
	await client.connect();
	try {
		await client.query(sql);
	} finally {
		await client.end();
	}
}

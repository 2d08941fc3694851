import pg from 'pg';
import type { TestProject } from 'vitest/node';
import { migrate } from '../../src/lib/server/migrate.ts';
import { buildIfStale } from '../../scripts/build-if-stale.ts';

/**
 * One fresh database per test run on the real PostgreSQL (127.0.0.1:5432 unless TEST_PG_URL says
 * otherwise), migrated once and dropped at the end, so runs never collide. It is the template each
 * test file clones its own database from (tests/setup/file-database.ts); nothing connects to it.
 */
const adminUrl = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export default async function setup(project: TestProject) {
	// Integration tests drive the real server, which serves the built web app.
	buildIfStale();
	const name = `chatmai_test_${process.pid}_${Date.now().toString(36)}`;
	const admin = new pg.Client({ connectionString: adminUrl });
	await admin.connect();
	await admin.query(`create database ${name}`);
	await admin.end();
	const url = new URL(adminUrl);
	url.pathname = `/${name}`;
	const databaseUrl = url.toString();
	await migrate(databaseUrl);
	process.env.TEST_DATABASE_URL = databaseUrl;
	project.provide('databaseUrl', databaseUrl);
	project.provide('adminDatabaseUrl', adminUrl);

	return async () => {
		const admin = new pg.Client({ connectionString: adminUrl });
		await admin.connect();
		// The files' own clones (tests/setup/file-database.ts) are dropped by each file; one whose
		// file died early is dropped here.
		const { rows } = await admin.query<{ datname: string }>(`select datname from pg_database where datname like $1`, [`${name}\\_f%`]);
		for (const { datname } of rows) await admin.query(`drop database if exists ${datname} with (force)`);
		await admin.query(`drop database if exists ${name} with (force)`);
		await admin.end();
	};
}

declare module 'vitest' {
	export interface ProvidedContext {
		databaseUrl: string;
		adminDatabaseUrl: string;
	}
}

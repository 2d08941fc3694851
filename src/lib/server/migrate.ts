import { fileURLToPath } from 'node:url';
import { runner } from 'node-pg-migrate';
import pg from 'pg';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../migrations', import.meta.url));

export interface MigrateOptions {
	/** Skip the advisory lock (the embedded database has a single session). @default false */
	noLock?: boolean;
	log?: (message: string) => void;
}

/** Applies every pending SQL migration in migrations/, in order, each in its own transaction. */
export async function migrate(databaseUrl: string, options: MigrateOptions = {}): Promise<string[]> {
	const client = new pg.Client({ connectionString: databaseUrl });
	await client.connect();
	try {
		const applied = await runner({
			dbClient: client,
			dir: MIGRATIONS_DIR,
			direction: 'up',
			migrationsTable: 'pgmigrations',
			checkOrder: true,
			noLock: options.noLock ?? false,
			// Several instances starting together take turns instead of failing.
			advisoryLockMode: 'wait',
			ignorePattern: '(\\..*|.*\\.md)',
			log: options.log ?? (() => {}),
			verbose: false
		});
		return applied.map((m) => m.name);
	} finally {
		await client.end();
	}
}

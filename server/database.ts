import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Config } from '../src/lib/server/env.ts';
import type { Logger } from '../src/lib/server/log.ts';

export interface OpenedDatabase {
	kind: 'postgres' | 'embedded';
	url: string;
	/** Pool size that is safe for this database (1 on the embedded one: it has a single session). */
	poolSize: number;
	close(): Promise<void>;
}

/**
 * The real PostgreSQL when DATABASE_URL is set; otherwise an embedded PostgreSQL (PGlite) kept in
 * the data folder and served to `pg` over a local socket.
 *
 * Embedded limits, designed around: every socket shares one PostgreSQL session, so the app uses a
 * single pooled connection (transactions never interleave), no named prepared statements, no
 * session-level SET (only SET LOCAL inside a transaction), and LISTEN/NOTIFY does not cross
 * connections (nothing in ChatMai depends on it).
 */
export async function openDatabase(config: Config, log: Logger): Promise<OpenedDatabase> {
	if (config.databaseUrl) {
		return { kind: 'postgres', url: config.databaseUrl, poolSize: config.dbPoolSize, close: async () => {} };
	}
	const dir = resolve(config.dataDir, 'pgdata');
	await mkdir(dir, { recursive: true });
	const { PGlite } = await import('@electric-sql/pglite');
	const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
	const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
	const db = await PGlite.create(dir, { extensions: { pg_trgm } });
	const socketServer = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 4 });
	await socketServer.start();
	const conn = socketServer.getServerConn();
	log.info('embedded_database', { dir: join(config.dataDir, 'pgdata'), listen: conn, note: 'PGlite: set DATABASE_URL to use a PostgreSQL server' });
	return {
		kind: 'embedded',
		url: `postgres://postgres@${conn}/postgres?sslmode=disable`,
		poolSize: 1,
		async close() {
			await socketServer.stop();
			await db.close();
		}
	};
}

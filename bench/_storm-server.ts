import { createServer } from 'node:http';
import type pg from 'pg';
import { createCollab } from '../collab/index.ts';
import { createPool } from '../src/lib/server/db.ts';
import { setLogLevel } from '../src/lib/server/log.ts';
import { monotonicMs } from './_collab-clients.ts';

/**
 * The storm bench's collab server, a process of its own so that SIGTERM, its CPU time and its peak
 * RSS are its own: `node bench/_storm-server.ts <databaseUrl> <port> <authCacheMs> <ticketSecretHex> [redisUrl]`.
 * Mounted the way server/ mounts it (createCollab on a node:http server, the app's pool size).
 * Prints one JSON line when listening (`healthy`, with its CLOCK_MONOTONIC time) and one when it
 * stops (`stopped`, with the statements it sent PostgreSQL outside transactions); SIGTERM stores
 * every document and exits, as server/ does.
 */

const [databaseUrl, portArg, cacheArg, secretHex, redisUrl] = process.argv.slice(2);
setLogLevel('error');

const pool = createPool({ connectionString: databaseUrl, max: 10, applicationName: 'chatmai-bench-storm' });
let statements = 0;
const counted = new Proxy(pool, {
	get(target, prop) {
		if (prop === 'query') {
			return (...args: unknown[]) => {
				statements++;
				return (target.query as (...a: unknown[]) => unknown)(...args);
			};
		}
		const value = Reflect.get(target, prop, target);
		return typeof value === 'function' ? value.bind(target) : value;
	}
}) as pg.Pool;

const collab = createCollab({ db: counted, authCacheMs: Number(cacheArg), ticketSecret: Buffer.from(secretHex, 'hex'), redisUrl: redisUrl || undefined });
const http = createServer((_req, res) => res.writeHead(404).end());
http.on('upgrade', (req, socket, head) => collab.handleUpgrade(req, socket, head));
await new Promise<void>((resolve) => http.listen(Number(portArg), '127.0.0.1', resolve));
console.log(JSON.stringify({ event: 'healthy', at: monotonicMs() }));

let stopping = false;
process.on('SIGTERM', async () => {
	if (stopping) return;
	stopping = true;
	await collab.destroy();
	http.closeAllConnections();
	await new Promise<void>((resolve) => http.close(() => resolve()));
	await pool.end();
	console.log(JSON.stringify({ event: 'stopped', statements }));
	process.exit(0);
});
process.on('SIGUSR2', () => console.log(JSON.stringify({ event: 'statements', statements })));

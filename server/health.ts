import type { ServerResponse } from 'node:http';
import type { Pool } from '../src/lib/server/db.ts';

/**
 * GET /healthz: 200 with the database in use and its reachability (503 when down), Node's major
 * version, and the webhook route's counters (events dropped for an unknown or unverified account,
 * bodies quarantined, deliveries to deprecated URLs) since start.
 */
export async function health(res: ServerResponse, pool: Pool, kind: 'postgres' | 'embedded', webhooks?: Record<string, unknown>): Promise<void> {
	let reachable = false;
	try {
		await Promise.race([
			pool.query('select 1'),
			new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2_000).unref())
		]);
		reachable = true;
	} catch {
		reachable = false;
	}
	const body = JSON.stringify({ status: reachable ? 'ok' : 'degraded', database: { kind, reachable }, node: process.versions.node.split('.')[0], ...(webhooks ? { webhooks } : {}) });
	res.writeHead(reachable ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
	res.end(body);
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testDatabaseUrl, testPool, uniqueEmail } from '../helpers/db.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';

let app: RunningApp;
let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
const db = testPool();

beforeAll(async () => {
	proxy = await startTcpProxy();
	const url = new URL(testDatabaseUrl());
	url.port = String(proxy.port);
	app = await startTestApp({ DATABASE_URL: url.toString(), CHATMAI_WORKERS: 'false' });
});
afterAll(async () => {
	proxy.restore();
	await app.close();
	await proxy.close();
	await db.end();
});

describe('health and a database outage', () => {
	it('reports the database in use and that it is reachable', async () => {
		const res = await fetch(`${app.url}/healthz`);
		expect(res.status).toBe(200);
		expect(await res.json()).toEqual({
			status: 'ok',
			database: { kind: 'postgres', reachable: true },
			node: '24',
			webhooks: { dropped: { unknown_account: 0, unverified_account: 0 }, quarantined: 0, deprecated_url: 0 }
		});
	});

	it('answers 503 while the database is down, writes nothing, and recovers after', async () => {
		proxy.cut();
		const health = await fetch(`${app.url}/healthz`);
		expect(health.status).toBe(503);
		expect((await health.json()).database.reachable).toBe(false);

		const email = uniqueEmail('outage');
		const signup = await new Client(app.url).post('/api/v1/auth/signup', { email, password: 'correct horse battery', name: 'Outage' });
		expect(signup.status).toBe(503);
		expect(signup.json.error.code).toBe('database_unavailable');

		proxy.restore();
		expect((await db.query('select 1 from users where email = $1', [email])).rowCount).toBe(0);
		let status = 0;
		for (let i = 0; i < 50 && status !== 200; i++) {
			status = (await fetch(`${app.url}/healthz`)).status;
			if (status !== 200) await new Promise((r) => setTimeout(r, 100));
		}
		expect(status).toBe(200);
		const retry = await new Client(app.url).post('/api/v1/auth/signup', { email, password: 'correct horse battery', name: 'Outage' });
		expect(retry.status).toBe(201);
	});
});

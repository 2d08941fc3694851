import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { startFakePlatform, type FakePlatform } from '../fakes/platforms.ts';

/**
 * Issue 11, item 6: outside test mode a connection cannot choose the host its platform token is
 * sent to. The operator's CHATMAI_<PLATFORM>_API_URL is the only override.
 */
describe('a connection cannot point its platform token at a host of its choosing', () => {
	let app: RunningApp;
	let operator: FakePlatform;
	let attacker: FakePlatform;
	let owner: Client;
	const db = testPool(2);

	beforeAll(async () => {
		operator = await startFakePlatform('line');
		attacker = await startFakePlatform('line');
		app = await startTestApp({
			NODE_ENV: 'production',
			CHATMAI_ENCRYPTION_KEYS: `k1:${randomBytes(32).toString('base64')}`,
			CHATMAI_LINE_API_URL: operator.baseUrl
		});
		owner = new Client(app.url);
		const res = await owner.post('/api/v1/auth/signup', { email: uniqueEmail('host'), password: 'correct horse battery', name: 'Ploy', workspaceName: 'Ploy Shop' });
		expect(res.status).toBe(201);
	});
	afterAll(async () => {
		await app?.close();
		await Promise.all([operator?.close(), attacker?.close(), db.end()]);
	});

	function input(extra: Record<string, unknown>) {
		return { platform: 'line', name: 'LINE OA', externalId: operator.config.externalId, credentials: operator.credentials, ...extra };
	}

	it('refuses apiBaseUrl hidden in the settings in production', async () => {
		const res = await owner.post('/api/v1/connections', input({ settings: { apiBaseUrl: attacker.baseUrl } }));
		expect(res.status, JSON.stringify(res.json)).toBe(400);
		const { rows } = await db.query(`select count(*)::int as n from platform_connections where settings ? 'apiBaseUrl'`);
		expect(rows[0].n).toBe(0);
	});

	it('refuses apiBaseUrl itself in production', async () => {
		const res = await owner.post('/api/v1/connections', input({ apiBaseUrl: attacker.baseUrl }));
		expect(res.status).toBe(400);
		expect(res.json.error.code).toBe('custom_api_url_refused');
	});

	it('ignores a host stored on a connection earlier: the token goes to the operator’s host only', async () => {
		const created = await owner.post('/api/v1/connections', input({}));
		expect(created.status, JSON.stringify(created.json)).toBe(201);
		const id = created.json.connection.id;
		// A connection stored before the fix, with the override in its settings.
		await db.query(`update platform_connections set settings = settings || jsonb_build_object('apiBaseUrl', $2::text) where id = $1`, [id, attacker.baseUrl]);
		const res = await owner.request('DELETE', `/api/v1/connections/${id}`);
		expect(res.status).toBe(200);
		// Disconnecting revokes the channel token on the platform (best effort, awaited).
		console.log(`revoke calls: operator ${operator.requests.length}, connection's own host ${attacker.requests.length}`);
		expect(attacker.requests).toHaveLength(0);
		expect(operator.requests.some((r) => r.path.includes('/oauth/revoke'))).toBe(true);
	});
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool, uniqueEmail } from '../helpers/db.ts';

/** Issue 11, item 8: a token made with a token lives no longer than its parent, and the audit log says how it was made. */
let app: RunningApp;
const db = testPool(2);
let owner: Client;
let workspaceId: string;

beforeAll(async () => {
	app = await startTestApp();
	owner = new Client(app.url);
	const res = await owner.post('/api/v1/auth/signup', { email: uniqueEmail('tokens'), password: 'correct horse battery', name: 'Nok', workspaceName: 'Nok Shop' });
	expect(res.status).toBe(201);
	workspaceId = res.json.workspace.id;
});
afterAll(async () => {
	await app.close();
	await db.end();
});

async function shortLived(days = 1): Promise<{ client: Client; id: string; expiresAt: string }> {
	const res = await owner.post('/api/v1/tokens', { name: 'short', expiresInDays: days });
	expect(res.status).toBe(201);
	const client = new Client(app.url);
	client.bearer = res.json.token;
	return { client, id: res.json.apiToken.id, expiresAt: res.json.apiToken.expiresAt };
}

describe('tokens made with tokens', () => {
	it('gives a child made without an expiry its parent’s expiry, not forever', async () => {
		const parent = await shortLived(1);
		const child = await parent.client.post('/api/v1/tokens', { name: 'child' });
		expect(child.status).toBe(201);
		console.log(`parent expires ${parent.expiresAt}, child expires ${child.json.apiToken.expiresAt}`);
		expect(child.json.apiToken.expiresAt).not.toBeNull();
		expect(new Date(child.json.apiToken.expiresAt).getTime()).toBeLessThanOrEqual(new Date(parent.expiresAt).getTime());
		const { rows } = await db.query(`select expires_at from api_tokens where id = $1`, [child.json.apiToken.id]);
		expect(rows[0].expires_at.getTime()).toBeLessThanOrEqual(new Date(parent.expiresAt).getTime());
	});

	it('refuses a child asking to live longer than its parent', async () => {
		const parent = await shortLived(1);
		const child = await parent.client.post('/api/v1/tokens', { name: 'child', expiresInDays: 3650 });
		expect(child.status).toBe(400);
		expect(child.json.error.code).toBe('outlives_parent');
	});

	it('ends the child when the parent is revoked', async () => {
		const parent = await shortLived(1);
		const made = await parent.client.post('/api/v1/tokens', { name: 'child' });
		const child = new Client(app.url);
		child.bearer = made.json.token;
		expect((await child.get('/api/v1/me')).status).toBe(200);
		expect((await owner.request('DELETE', `/api/v1/tokens/${parent.id}`)).status).toBe(200);
		expect((await child.get('/api/v1/me')).status).toBe(401);
	});

	it('audit-logs a token made with a token as such, and a revocation with its address', async () => {
		const parent = await shortLived(1);
		const made = await parent.client.post('/api/v1/tokens', { name: 'child' });
		await parent.client.request('DELETE', `/api/v1/tokens/${made.json.apiToken.id}`);
		const { rows } = await db.query(
			`select action, ip, meta from audit_log where workspace_id = $1 and target_id = $2 order by id`,
			[workspaceId, made.json.apiToken.id]
		);
		expect(rows.map((r) => r.action)).toEqual(['token.created', 'token.revoked']);
		expect(rows[0].meta).toMatchObject({ via: 'api_token', parentTokenId: parent.id });
		expect(rows[1].ip).toBeTruthy();
	});
});

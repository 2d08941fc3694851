import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { testPool } from '../helpers/db.ts';
import { Client } from '../helpers/app.ts';
import { startFakePlatform, testCredentials, uniqueAccountId, type FakePlatform } from '../fakes/platforms.ts';
import { connect, signUpOwner, startPipelineApp, type Owner } from './harness.ts';

/** "Send test" on a connection: the platform (LINE) sends a signed test event to our webhook and reports what it answered. */

let app: RunningApp;
let owner: Owner;
const fakes: FakePlatform[] = [];
const db = testPool();

beforeAll(async () => {
	app = await startPipelineApp();
	owner = await signUpOwner(app);
});
afterAll(async () => {
	await app.close();
	await Promise.all(fakes.map((f) => f.close()));
	await db.end();
});

async function fake(platform: 'line' | 'shopee'): Promise<FakePlatform> {
	// Its own copy of the test credentials, so that one test may change them on the platform's side.
	const started = await startFakePlatform(platform, { credentials: structuredClone(testCredentials(platform)), accountId: uniqueAccountId(platform) });
	fakes.push(started);
	return started;
}

describe('sending a test event to a connection', () => {
	it('has LINE send a signed test event to the connection’s webhook, which answers 200', async () => {
		const line = await fake('line');
		const connection = await connect(owner, line);
		const res = await owner.client.post(`/api/v1/connections/${connection.id}/test`, {});
		expect(res.status, JSON.stringify(res.json)).toBe(200);
		expect(res.json.result).toMatchObject({ success: true, statusCode: 200, reason: 'OK' });
		const asked = line.requests.find((r) => r.path === '/v2/bot/channel/webhook/test');
		expect(asked?.json).toEqual({ endpoint: connection.webhookUrl });
	});

	it('reports our webhook’s refusal when LINE’s test event is not signed with the connection’s secret', async () => {
		const line = await fake('line');
		const connection = await connect(owner, line);
		// The channel secret changed on LINE's side: LINE signs with the new one, ChatMai still holds the old.
		(line.credentials as { channelSecret: string }).channelSecret = 'rotated-channel-secret-00000000';
		const res = await owner.client.post(`/api/v1/connections/${connection.id}/test`, {});
		expect(res.status, JSON.stringify(res.json)).toBe(200);
		expect(res.json.result.success).toBe(false);
		expect(res.json.result.reason).toBe('ERROR_STATUS_CODE');
		expect(res.json.result.statusCode).toBeGreaterThanOrEqual(400);
	});

	it('passes on LINE’s own refusal of the test request with the platform’s reason', async () => {
		const line = await fake('line');
		const connection = await connect(owner, line);
		line.failNext(1, 401);
		const res = await owner.client.post(`/api/v1/connections/${connection.id}/test`, {});
		expect(res.status).toBe(422);
		expect(res.json.error.code).toBe('refused');
	});

	it('refuses a test on a platform that has none, an unknown connection, and a member who is not an owner or admin', async () => {
		const shopee = await fake('shopee');
		const connection = await connect(owner, shopee);
		const unsupported = await owner.client.post(`/api/v1/connections/${connection.id}/test`, {});
		expect(unsupported.status).toBe(400);
		expect(unsupported.json.error.code).toBe('test_unsupported');
		expect(shopee.requests.filter((r) => r.path.includes('webhook'))).toHaveLength(0);
		expect((await owner.client.post(`/api/v1/connections/${crypto.randomUUID()}/test`, {})).status).toBe(404);

		const { rows } = await db.query(`insert into users (email, name, password_hash) values ($1, 'Agent', 'x') returning id`, [`agent-${crypto.randomUUID()}@example.test`]);
		await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, 'agent')`, [owner.workspaceId, rows[0].id]);
		const { createSession } = await import('../../src/lib/server/auth/session.ts');
		const { token } = await createSession(db, rows[0].id, owner.workspaceId);
		const agent = new Client(app.url);
		agent.bearer = token;
		expect((await agent.post(`/api/v1/connections/${connection.id}/test`, {})).status).toBe(403);
	});
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { testPool } from '../helpers/db.ts';
import { startFakePlatform, uniqueAccountId, SAMPLE_ORDERS, type FakePlatform } from '../fakes/platforms.ts';
import { connect, deliver, messagesOf, signUpOwner, startPipelineApp, waitFor, webhookFor, type Owner } from './harness.ts';

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

async function fake(platform: Parameters<typeof startFakePlatform>[0]) {
	const f = await startFakePlatform(platform, { accountId: uniqueAccountId(platform) });
	fakes.push(f);
	return f;
}

/** Every string value in the credentials (the secrets a user pasted). */
function secrets(credentials: unknown): string[] {
	return Object.values(credentials as Record<string, unknown>).filter((v): v is string => typeof v === 'string' && v.length >= 8);
}

describe('connections and their credentials', () => {
	it('stores credentials encrypted, apart from the connection, and never returns them', async () => {
		const owner = await signUpOwner(app);
		const line = await fake('line');
		const connection = await connect(owner, line);
		expect(connection.webhookUrl).toBe(`${app.url}/webhooks/line/${connection.id}`);
		expect(connection.verifyToken).toMatch(/^[a-z2-7]{20,}$/);
		expect(connection.hasCredentials).toBe(true);

		const raw = await db.query(`select row_to_json(p)::text as row, encode(ciphertext, 'escape') as text, key_id from platform_credentials p where connection_id = $1`, [connection.id]);
		const conn = await db.query(`select row_to_json(c)::text as row from platform_connections c where id = $1`, [connection.id]);
		expect(raw.rowCount).toBe(1);
		for (const secret of secrets(line.credentials)) {
			expect(raw.rows[0].row).not.toContain(secret);
			expect(raw.rows[0].text).not.toContain(secret);
			expect(conn.rows[0].row).not.toContain(secret);
		}

		const list = await owner.client.get('/api/v1/connections');
		const one = await owner.client.get(`/api/v1/connections/${connection.id}`);
		expect(list.status).toBe(200);
		expect(one.status).toBe(200);
		for (const secret of secrets(line.credentials)) {
			expect(list.text).not.toContain(secret);
			expect(one.text).not.toContain(secret);
		}
		expect(one.json.connection).toMatchObject({ id: connection.id, platform: 'line', status: 'active', hasCredentials: true });
		expect((await db.query(`select 1 from audit_log where action = 'connection.created' and target_id = $1`, [connection.id])).rowCount).toBe(1);
	});

	it('refuses credentials that do not match the platform’s schema, naming the field but not the value', async () => {
		const res = await owner.client.post('/api/v1/connections', {
			platform: 'shopee',
			name: 'Broken shop',
			externalId: '123',
			credentials: { partnerKey: 'topsecretvalue123' }
		});
		expect(res.status).toBe(400);
		expect(JSON.stringify(res.json.error.details)).toContain('credentials');
		expect(res.text).not.toContain('topsecretvalue123');
	});

	it('disconnects: credentials gone at once, token revoked on the platform, webhooks answered 410, audit-logged', async () => {
		const owner = await signUpOwner(app);
		const line = await fake('line');
		const connection = await connect(owner, line);
		const res = await owner.client.request('DELETE', `/api/v1/connections/${connection.id}`);
		expect(res.status).toBe(200);
		expect(res.json.connection).toMatchObject({ status: 'disconnected', hasCredentials: false, verifyToken: null });
		expect((await db.query(`select 1 from platform_credentials where connection_id = $1`, [connection.id])).rowCount).toBe(0);
		expect(line.requests.some((r) => r.path === '/v2/oauth/revoke' && r.status === 200)).toBe(true);
		const webhook = webhookFor({ fake: line, connection }, { kind: 'message', text: 'after disconnect' });
		expect((await deliver(connection.webhookUrl, webhook)).status).toBe(410);
		expect((await db.query(`select 1 from inbound_events where connection_id = $1`, [connection.id])).rowCount).toBe(0);
		expect((await db.query(`select 1 from audit_log where action = 'connection.disconnected' and target_id = $1`, [connection.id])).rowCount).toBe(1);
		// The same account can be connected again.
		const again = await connect(owner, line);
		expect(again.id).not.toBe(connection.id);
	});

	it('lets only owners and admins connect, and hides the verify token from agents', async () => {
		await connect(owner, await fake('facebook'));
		const { rows } = await db.query(`insert into users (email, name, password_hash) values ($1, 'Agent', 'x') returning id`, [`agent-${crypto.randomUUID()}@example.test`]);
		await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, 'agent')`, [owner.workspaceId, rows[0].id]);
		const { createSession } = await import('../../src/lib/server/auth/session.ts');
		const { token } = await createSession(db, rows[0].id, owner.workspaceId);
		const { Client } = await import('../helpers/app.ts');
		const agent = new Client(app.url);
		agent.bearer = token;
		const create = await agent.post('/api/v1/connections', { platform: 'line', name: 'x', externalId: 'y', credentials: {} });
		expect(create.status).toBe(403);
		const list = await agent.get('/api/v1/connections');
		expect(list.status).toBe(200);
		expect(list.json.connections.length).toBeGreaterThan(0);
		expect(list.json.connections.every((c: { verifyToken: unknown }) => c.verifyToken === null)).toBe(true);
	});
});

describe('orders beside the chat', () => {
	it('fetches a Shopee customer’s orders through the connector, caches them, and answers chat-only platforms plainly', async () => {
		const owner = await signUpOwner(app);
		const shopee = await fake('shopee');
		const connection = await connect(owner, shopee);
		const customerId = SAMPLE_ORDERS[0].customerId;
		await deliver(connection.webhookUrl, webhookFor({ fake: shopee, connection }, { kind: 'message', text: 'Where is order 240601ABCDEF01?', customerId }));
		const message = await waitFor(async () => (await messagesOf(db, connection.id))[0], 'the message');
		const res = await owner.client.get(`/api/v1/conversations/${message.conversation_id}/orders`);
		expect(res.status).toBe(200);
		expect(res.json.supported).toBe(true);
		const order = res.json.orders.find((o: { externalOrderId: string }) => o.externalOrderId === SAMPLE_ORDERS[0].id);
		expect(order).toBeTruthy();
		expect(order.items.length).toBe(2);
		expect((await db.query(`select 1 from orders where connection_id = $1 and external_order_id = $2`, [connection.id, SAMPLE_ORDERS[0].id])).rowCount).toBe(1);

		const line = await fake('line');
		const lineConnection = await connect(owner, line);
		await deliver(lineConnection.webhookUrl, webhookFor({ fake: line, connection: lineConnection }, { kind: 'message', text: 'hello' }));
		const lineMessage = await waitFor(async () => (await messagesOf(db, lineConnection.id))[0], 'the LINE message');
		const none = await owner.client.get(`/api/v1/conversations/${lineMessage.conversation_id}/orders`);
		expect(none.json).toEqual({ supported: false, orders: [], stale: false });
	});

	it('refreshes an order when the shop pushes an update for it', async () => {
		const owner = await signUpOwner(app);
		const shopee = await fake('shopee');
		const connection = await connect(owner, shopee);
		const webhook = webhookFor({ fake: shopee, connection }, { kind: 'order_update', orderId: SAMPLE_ORDERS[1].id, status: 'READY_TO_SHIP' });
		expect((await deliver(connection.webhookUrl, webhook)).status).toBe(200);
		const row = await waitFor(
			async () => (await db.query(`select status, items from orders where connection_id = $1 and external_order_id = $2 and jsonb_array_length(items) > 0`, [connection.id, SAMPLE_ORDERS[1].id])).rows[0],
			'the refreshed order'
		);
		expect(row.items[0].name).toBe(SAMPLE_ORDERS[1].items[0].name);
	});
});

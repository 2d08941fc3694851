import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { testPool } from '../helpers/db.ts';
import { signBody, THAI_TEXT } from '../fakes/platforms.ts';
import { PLATFORMS, connectAll, deliver, messagesOf, openDocument, signUpOwner, waitFor, webhookFor, type Connected, type Owner } from './harness.ts';
import type { Platform } from '../../connectors/types.ts';

let app: RunningApp;
let owner: Owner;
let connected: Record<Platform, Connected>;
const db = testPool();

beforeAll(async () => {
	app = await (await import('./harness.ts')).startPipelineApp();
	owner = await signUpOwner(app);
	connected = await connectAll(owner);
});
afterAll(async () => {
	await app.close();
	await Promise.all(Object.values(connected ?? {}).map((c) => c.fake.close()));
	await db.end();
});

describe.each(PLATFORMS)('%s webhooks in', (platform) => {
	it('turns a signed webhook into one customer message in PostgreSQL and in the live document', async () => {
		const c = connected[platform];
		const text = `${THAI_TEXT} order 240601ABCDEF01? (${platform} first)`;
		const res = await deliver(c.connection.webhookUrl, webhookFor(c, { kind: 'message', text, customerName: 'Nong Mai' }));
		expect(res.status).toBe(200);
		if (platform === 'shopee') expect(await res.text()).toBe('');

		const message = await waitFor(async () => (await messagesOf(db, c.connection.id)).find((m) => m.body === text), 'the message row');
		expect(message).toMatchObject({ direction: 'in', sender_type: 'customer' });
		const { rows } = await db.query(
			`select c.unread_count, c.last_message_preview, c.last_customer_message_at, c.workspace_id from conversations c where c.id = $1`,
			[message.conversation_id]
		);
		expect(rows[0].unread_count).toBeGreaterThanOrEqual(1);
		expect(rows[0].last_customer_message_at).not.toBeNull();
		expect(rows[0].workspace_id).toBe(owner.workspaceId);

		const doc = await openDocument(app, owner.token, message.conversation_id);
		try {
			const live = await waitFor(() => doc.messages().find((m) => m.id === message.id), 'the message in the document');
			expect(live).toMatchObject({ body: text, direction: 'in', senderType: 'customer' });
		} finally {
			doc.close();
		}
	});

	it('keeps one message when the same webhook is delivered three times', async () => {
		const c = connected[platform];
		const text = `Where is my parcel? (${platform} thrice)`;
		const webhook = webhookFor(c, { kind: 'message', text });
		const statuses = [];
		for (let i = 0; i < 3; i++) statuses.push((await deliver(c.connection.webhookUrl, i === 0 ? webhook : { ...webhook })).status);
		expect(statuses).toEqual([200, 200, 200]);
		const message = await waitFor(async () => (await messagesOf(db, c.connection.id)).find((m) => m.body === text), 'the message row');
		await waitFor(async () => (await db.query(`select 1 from inbound_events where connection_id = $1 and processed_at is null`, [c.connection.id])).rowCount === 0, 'all events processed');
		const same = (await messagesOf(db, c.connection.id)).filter((m) => m.body === text);
		expect(same).toHaveLength(1);
		expect(same[0].id).toBe(message.id);
	});

	it('answers 401 to a tampered body and writes nothing', async () => {
		const c = connected[platform];
		const before = (await db.query(`select count(*)::int as n from inbound_events where connection_id = $1`, [c.connection.id])).rows[0].n;
		const webhook = webhookFor(c, { kind: 'message', text: `Genuine text (${platform})` });
		const tampered = Buffer.from(webhook.body.toString('utf8').replace('Genuine', 'Tampered'));
		const res = await deliver(c.connection.webhookUrl, { headers: webhook.headers, body: tampered });
		expect(res.status).toBe(401);
		const unsigned = await deliver(c.connection.webhookUrl, { headers: { 'content-type': 'application/json' }, body: webhook.body });
		expect(unsigned.status).toBe(401);
		const after = (await db.query(`select count(*)::int as n from inbound_events where connection_id = $1`, [c.connection.id])).rows[0].n;
		expect(after).toBe(before);
	});

	it('acknowledges a correctly signed body that is not a webhook of the platform, and quarantines it instead of losing it', async () => {
		const c = connected[platform];
		const body = Buffer.from(`{"hello": "${platform}-${Date.now()}",`);
		const res = await deliver(c.connection.webhookUrl, { headers: signBody(platform, body, { webhookUrl: c.connection.webhookUrl }), body });
		expect(res.status).toBe(200);
		const { rows } = await db.query(`select reason, verified_connection_ids from quarantined_webhooks where body = $1`, [body]);
		expect(rows).toHaveLength(1);
		expect(rows[0].reason).toBe('invalid_json');
		expect(rows[0].verified_connection_ids).toContain(c.connection.id);
	});

	it('skips a real event kind it does not handle without an error', async () => {
		const c = connected[platform];
		const res = await deliver(c.connection.webhookUrl, webhookFor(c, { kind: 'unknown' }));
		expect(res.status).toBe(200);
	});
});

describe('the webhook route', () => {
	it('answers 404 for a connection that does not exist and for the wrong platform', async () => {
		const c = connected.line;
		const unknown = c.connection.webhookUrl.replace(c.connection.id, crypto.randomUUID());
		expect((await deliver(unknown, webhookFor(c, { kind: 'message', text: 'hi' }))).status).toBe(404);
		const wrongPlatform = c.connection.webhookUrl.replace('/line/', '/shopee/');
		expect((await deliver(wrongPlatform, webhookFor(c, { kind: 'message', text: 'hi' }))).status).toBe(404);
		expect((await fetch(`${app.url}/webhooks/line/not-a-uuid`, { method: 'POST', body: '{}' })).status).toBe(404);
	});

	it('answers 413 to a body over the size limit', async () => {
		const c = connected.line;
		const body = Buffer.alloc(2 * 1024 * 1024, 'a');
		const res = await fetch(c.connection.webhookUrl, { method: 'POST', headers: signBody('line', body), body }).catch(() => null);
		// The server may close the socket right after answering; either way nothing was stored.
		if (res) expect(res.status).toBe(413);
	});

	it("answers Meta's subscription handshake with the challenge only for our verify token", async () => {
		const c = connected.facebook;
		const good = new URL(c.connection.webhookUrl);
		good.search = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': c.connection.verifyToken!, 'hub.challenge': '1158201444' }).toString();
		const res = await fetch(good);
		expect(res.status).toBe(200);
		expect(await res.text()).toBe('1158201444');
		good.searchParams.set('hub.verify_token', 'guess');
		expect((await fetch(good)).status).toBe(403);
	});

	it("stores the seller's own echo as an outgoing message, not the customer's", async () => {
		const c = connected.facebook;
		const customerId = '7012345678900001';
		await deliver(c.connection.webhookUrl, webhookFor(c, { kind: 'message', text: 'Customer asks (echo test)', customerId }));
		const text = 'Seller answers from the Page inbox (echo test)';
		expect((await deliver(c.connection.webhookUrl, webhookFor(c, { kind: 'message', text, customerId, fromSeller: true }))).status).toBe(200);
		const echo = await waitFor(async () => (await messagesOf(db, c.connection.id)).find((m) => m.body === text), 'the echo row');
		expect(echo).toMatchObject({ direction: 'out', sender_type: 'agent', delivery_state: 'sent' });
		const customer = (await messagesOf(db, c.connection.id)).find((m) => m.body === 'Customer asks (echo test)');
		expect(customer?.conversation_id).toBe(echo.conversation_id);
	});
});

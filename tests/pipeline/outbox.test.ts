import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { testPool } from '../helpers/db.ts';
import { PLATFORMS, connectAll, deliver, messagesOf, openDocument, signUpOwner, startPipelineApp, waitFor, webhookFor, type Connected, type Owner, profileFetched } from './harness.ts';
import type { Platform } from '../../connectors/types.ts';
import type { RecordedRequest } from '../fakes/platforms.ts';
import type { DeliveryError } from '../../src/lib/delivery-errors.ts';

let app: RunningApp;
let owner: Owner;
let connected: Record<Platform, Connected>;
const db = testPool();

beforeAll(async () => {
	app = await startPipelineApp();
	owner = await signUpOwner(app);
	connected = await connectAll(owner);
});
afterAll(async () => {
	await app.close();
	await Promise.all(Object.values(connected ?? {}).map((c) => c.fake.close()));
	await db.end();
});

/** A fresh customer conversation on `platform`; returns its id once the customer's message is stored. */
async function conversationWithCustomer(platform: Platform, label: string): Promise<string> {
	const c = connected[platform];
	const text = `Is the blue one in stock? (${label} ${crypto.randomUUID().slice(0, 8)})`;
	// A customer of its own, so each test has its own conversation.
	const digits = String(Math.floor(Math.random() * 1e12)).padStart(12, '0');
	const customerId = platform === 'line' ? `U${digits}${'0'.repeat(20)}` : `88${digits}`;
	expect((await deliver(c.connection.webhookUrl, webhookFor(c, { kind: 'message', text, customerId }))).status).toBe(200);
	const message = await waitFor(async () => (await messagesOf(db, c.connection.id)).find((m) => m.body === text), 'the customer message');
	await profileFetched(c, customerId);
	return message.conversation_id;
}

function reply(conversationId: string, body: string, key = crypto.randomUUID()) {
	return owner.client.post(`/api/v1/conversations/${conversationId}/replies`, { body }, { 'idempotency-key': key });
}

const sends = (c: Connected): RecordedRequest[] => c.fake.requests.filter((r) => r.method === 'POST' && !r.path.includes('revoke'));

async function deliveryOf(messageId: string) {
	const { rows } = await db.query(`select delivery_state, delivery_error, platform_message_id from messages where id = $1`, [messageId]);
	return rows[0] as { delivery_state: string; delivery_error: DeliveryError | null; platform_message_id: string | null };
}

describe.each(PLATFORMS)('%s replies out', (platform) => {
	it('sends a reply that the platform accepts as correctly signed, and shows it as sent', async () => {
		const c = connected[platform];
		const conversationId = await conversationWithCustomer(platform, `${platform} reply`);
		const before = sends(c).length;
		const body = `ขอบคุณค่ะ มีสินค้าค่ะ (${platform})`;
		const res = await reply(conversationId, body);
		expect(res.status).toBe(202);
		expect(res.json.reply).toMatchObject({ body, deliveryState: 'queued', conversationId });
		const messageId = res.json.reply.messageId;

		const sent = await waitFor(async () => ((await deliveryOf(messageId)).delivery_state === 'sent' ? deliveryOf(messageId) : null), 'the sent state');
		expect(sent.platform_message_id).toBeTruthy();
		const calls = sends(c).slice(before);
		expect(calls).toHaveLength(1);
		// The fake answers 200 only to a request signed with the connection's credentials.
		expect(calls[0].status).toBe(200);
		expect(calls[0].body).toContain(platform === 'lazada' || platform === 'tiktok' ? '' : body.slice(0, 8));
		// The conversation's first response is when the agent wrote this reply, for the reports.
		const { rows: timing } = await db.query(
			`select c.first_response_at = m.sent_at as same from conversations c join messages m on m.conversation_id = c.id where m.id = $1`,
			[messageId]
		);
		expect(timing[0].same).toBe(true);

		const doc = await openDocument(app, owner.token, conversationId);
		try {
			const live = await waitFor(() => doc.messages().find((m) => m.id === messageId && m.delivery?.state === 'sent'), 'sent in the document');
			expect(live).toMatchObject({ body, direction: 'out', senderType: 'agent', authorId: owner.userId });
		} finally {
			doc.close();
		}
	});

	it('marks a reply the platform refuses with a 4xx as failed, stored as a code with the platform’s reason as its detail', async () => {
		const c = connected[platform];
		const conversationId = await conversationWithCustomer(platform, `${platform} 4xx`);
		c.fake.failNext(1, 400);
		const res = await reply(conversationId, 'This one will be refused');
		expect(res.status).toBe(202);
		const messageId = res.json.reply.messageId;
		const failed = await waitFor(async () => ((await deliveryOf(messageId)).delivery_state === 'failed' ? deliveryOf(messageId) : null), 'the failed state');
		expect(failed.delivery_error).toMatchObject({ code: 'platform_refused', platformCode: expect.any(String), detail: expect.any(String) });
		expect(JSON.stringify(failed.delivery_error)).not.toMatch(/token|secret/i);
		const doc = await openDocument(app, owner.token, conversationId);
		try {
			const live = await waitFor(() => doc.messages().find((m) => m.id === messageId && m.delivery?.state === 'failed'), 'failed in the document');
			expect(live.delivery?.reason).toEqual(failed.delivery_error);
		} finally {
			doc.close();
		}
	});
});

describe('retries and rules', () => {
	it('retries a reply after a platform 5xx and then sends it, on every platform', async () => {
		await Promise.all(
			PLATFORMS.map(async (platform) => {
				const c = connected[platform];
				const conversationId = await conversationWithCustomer(platform, `${platform} 5xx`);
				const before = sends(c).length;
				c.fake.failNext(1, 503);
				const res = await reply(conversationId, `Retry me (${platform})`);
				const messageId = res.json.reply.messageId;
				await waitFor(async () => (await deliveryOf(messageId)).delivery_state === 'sent', `${platform} sent after a retry`);
				const statuses = sends(c).slice(before).map((r) => r.status);
				expect(statuses[0]).toBe(503);
				expect(statuses.at(-1)).toBe(200);
				const { rows } = await db.query(`select attempts, state from outbox where message_id = $1`, [messageId]);
				expect(rows[0]).toMatchObject({ state: 'sent' });
				expect(rows[0].attempts).toBeGreaterThanOrEqual(2);
			})
		);
	});

	it('returns the same reply for the same idempotency key and sends it once', async () => {
		const c = connected.line;
		const conversationId = await conversationWithCustomer('line', 'idempotent');
		const before = sends(c).length;
		const key = crypto.randomUUID();
		const first = await reply(conversationId, 'Only once please', key);
		const second = await reply(conversationId, 'Only once please', key);
		expect(first.status).toBe(202);
		expect(second.status).toBe(200);
		expect(second.json.reply.messageId).toBe(first.json.reply.messageId);
		await waitFor(async () => (await deliveryOf(first.json.reply.messageId)).delivery_state === 'sent', 'sent');
		expect(sends(c).length - before).toBe(1);
		const reused = await reply(conversationId, 'A different reply', key);
		expect(reused.status).toBe(409);
		expect(reused.json.error.code).toBe('key_reused');
	});

	it('refuses a reply outside the reply window with a reason the agent can read', async () => {
		const conversationId = await conversationWithCustomer('facebook', 'window');
		await db.query(`update conversations set last_customer_message_at = now() - interval '30 days' where id = $1`, [conversationId]);
		const res = await reply(conversationId, 'Too late?');
		expect(res.status).toBe(422);
		expect(res.json.error.code).toBe('window_closed');
		expect(res.json.error.message).toMatch(/Messenger allows replies for 7 days/);
		const { rows } = await db.query(`select count(*)::int as n from outbox where conversation_id = $1`, [conversationId]);
		expect(rows[0].n).toBe(0);
	});

	it('refuses a reply longer than the platform allows', async () => {
		const conversationId = await conversationWithCustomer('shopee', 'length');
		const res = await reply(conversationId, 'ก'.repeat(601));
		expect(res.status).toBe(422);
		expect(res.json.error.code).toBe('too_long');
	});

	it('asks for an idempotency key and answers 404 for a conversation that does not exist', async () => {
		const conversationId = await conversationWithCustomer('line', 'no key');
		const res = await owner.client.post(`/api/v1/conversations/${conversationId}/replies`, { body: 'hi' });
		expect(res.status).toBe(400);
		expect(res.json.error.code).toBe('idempotency_key_required');
		const missing = await reply(crypto.randomUUID(), 'hi');
		expect(missing.status).toBe(404);
	});
});

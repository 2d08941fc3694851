import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { Client } from '../helpers/app.ts';
import { testPool } from '../helpers/db.ts';
import { connectAll, deliver, messagesOf, openDocument, signUpOwner, startPipelineApp, waitFor, webhookFor, type Connected, type Owner, profileFetched } from './harness.ts';
import type { Platform } from '../../connectors/types.ts';
import type { RecordedRequest } from '../fakes/platforms.ts';

/** Retrying a failed reply (`POST /conversations/:id/messages/:messageId/retry`) against the fake platforms. */

let app: RunningApp;
let owner: Owner;
let stranger: Owner;
let connected: Record<Platform, Connected>;
const db = testPool();

beforeAll(async () => {
	app = await startPipelineApp();
	owner = await signUpOwner(app);
	stranger = await signUpOwner(app);
	connected = await connectAll(owner, ['facebook', 'line']);
});
afterAll(async () => {
	await app.close();
	await Promise.all(Object.values(connected ?? {}).map((c) => c.fake.close()));
	await db.end();
});

async function conversationWithCustomer(platform: Platform, label: string): Promise<string> {
	const c = connected[platform];
	const text = `Can I still order the green one? (${label} ${crypto.randomUUID().slice(0, 8)})`;
	const digits = String(Math.floor(Math.random() * 1e12)).padStart(12, '0');
	const customerId = platform === 'line' ? `U${digits}${'0'.repeat(20)}` : `88${digits}`;
	expect((await deliver(c.connection.webhookUrl, webhookFor(c, { kind: 'message', text, customerId }))).status).toBe(200);
	const message = await waitFor(async () => (await messagesOf(db, c.connection.id)).find((m) => m.body === text), 'the customer message');
	await profileFetched(c, customerId);
	return message.conversation_id;
}

const sends = (c: Connected): RecordedRequest[] => c.fake.requests.filter((r) => r.method === 'POST' && !r.path.includes('revoke'));

async function deliveryOf(messageId: string) {
	const { rows } = await db.query(`select delivery_state, delivery_error from messages where id = $1`, [messageId]);
	return rows[0] as { delivery_state: string; delivery_error: string | null };
}

async function outboxOf(messageId: string) {
	const { rows } = await db.query(`select id, state, attempts, last_error from outbox where message_id = $1`, [messageId]);
	return rows as { id: string; state: string; attempts: number; last_error: string | null }[];
}

/** A reply the platform refuses with a 4xx, once it is stored as failed. */
async function failedReply(platform: Platform, label: string): Promise<{ conversationId: string; messageId: string }> {
	const conversationId = await conversationWithCustomer(platform, label);
	connected[platform].fake.failNext(1, 400);
	const res = await owner.client.post(`/api/v1/conversations/${conversationId}/replies`, { body: `Yes, it is in stock (${label})` }, { 'idempotency-key': crypto.randomUUID() });
	expect(res.status).toBe(202);
	const messageId = res.json.reply.messageId as string;
	await waitFor(async () => (await deliveryOf(messageId)).delivery_state === 'failed', 'the failed state');
	return { conversationId, messageId };
}

function retry(client: Client, conversationId: string, messageId: string, headers?: Record<string, string>) {
	return client.post(`/api/v1/conversations/${conversationId}/messages/${messageId}/retry`, undefined, headers);
}

describe('retrying a failed reply', () => {
	it('sends the same message again once the platform accepts it, and shows queued then sent live', async () => {
		const c = connected.facebook;
		const { conversationId, messageId } = await failedReply('facebook', 'retry');
		const [row] = await outboxOf(messageId);
		expect(row).toMatchObject({ state: 'failed', attempts: 1 });
		const before = sends(c).length;
		const doc = await openDocument(app, owner.token, conversationId);
		try {
			await waitFor(() => doc.messages().find((m) => m.id === messageId && m.delivery?.state === 'failed'), 'failed in the document');
			// One transient refusal first, so the queued state stays long enough to be seen.
			c.fake.failNext(1, 503);
			const res = await retry(owner.client, conversationId, messageId);
			expect(res.status).toBe(202);
			expect(res.json.reply).toMatchObject({ messageId, conversationId, deliveryState: 'queued', deliveryError: null });
			await waitFor(() => doc.messages().find((m) => m.id === messageId && m.delivery?.state === 'queued'), 'queued again in the document');
			await waitFor(async () => (await deliveryOf(messageId)).delivery_state === 'sent', 'sent after the retry');
			await waitFor(() => doc.messages().find((m) => m.id === messageId && m.delivery?.state === 'sent'), 'sent in the document');
		} finally {
			doc.close();
		}
		// The same outbox row, its attempts counted afresh (503, then 200), and no second message.
		const rows = await outboxOf(messageId);
		expect(rows).toHaveLength(1);
		expect(rows[0]).toMatchObject({ id: row.id, state: 'sent', attempts: 2, last_error: null });
		expect(sends(c).slice(before).map((r) => r.status)).toEqual([503, 200]);
		expect((await deliveryOf(messageId)).delivery_error).toBeNull();
		const { rows: copies } = await db.query(`select count(*)::int as n from messages where conversation_id = $1 and direction = 'out'`, [conversationId]);
		expect(copies[0].n).toBe(1);
	});

	it('refuses a message that has not failed', async () => {
		const { conversationId, messageId } = await failedReply('facebook', 'twice');
		expect((await retry(owner.client, conversationId, messageId)).status).toBe(202);
		await waitFor(async () => (await deliveryOf(messageId)).delivery_state === 'sent', 'sent');
		const again = await retry(owner.client, conversationId, messageId);
		expect(again.status).toBe(409);
		expect(again.json.error.code).toBe('not_failed');
		expect((await outboxOf(messageId))[0].state).toBe('sent');
	});

	it('refuses when the reply window has closed since, and leaves the message failed', async () => {
		const { conversationId, messageId } = await failedReply('facebook', 'window');
		await db.query(`update conversations set last_customer_message_at = now() - interval '30 days' where id = $1`, [conversationId]);
		const res = await retry(owner.client, conversationId, messageId);
		expect(res.status).toBe(409);
		expect(res.json.error.code).toBe('window_closed');
		expect(res.json.error.message).toMatch(/Messenger allows replies for 7 days/);
		expect((await outboxOf(messageId))[0].state).toBe('failed');
		expect((await deliveryOf(messageId)).delivery_state).toBe('failed');
	});

	it('refuses when the conversation’s platform was disconnected', async () => {
		const { conversationId, messageId } = await failedReply('line', 'disconnected');
		expect((await owner.client.request('DELETE', `/api/v1/connections/${connected.line.connection.id}`)).status).toBe(200);
		const res = await retry(owner.client, conversationId, messageId);
		expect(res.status).toBe(409);
		expect(res.json.error.code).toBe('disconnected');
		expect((await outboxOf(messageId))[0].state).toBe('failed');
	});

	it('is not reachable from another workspace, nor for a supervisor, nor for a message of another conversation', async () => {
		const { conversationId, messageId } = await failedReply('facebook', 'scope');
		expect((await retry(stranger.client, conversationId, messageId)).status).toBe(404);
		expect((await retry(stranger.client, conversationId, messageId, { 'x-workspace-id': owner.workspaceId })).status).toBe(404);
		await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, 'supervisor')`, [owner.workspaceId, stranger.userId]);
		expect((await retry(stranger.client, conversationId, messageId, { 'x-workspace-id': owner.workspaceId })).status).toBe(403);
		const other = await conversationWithCustomer('facebook', 'other conversation');
		expect((await retry(owner.client, other, messageId)).status).toBe(404);
		expect((await retry(owner.client, conversationId, 'not-a-uuid')).status).toBe(404);
		expect((await outboxOf(messageId))[0].state).toBe('failed');
	});
});

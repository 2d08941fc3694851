import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { Client } from '../helpers/app.ts';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { connect, deliver, messagesOf, signUpOwner, startPipelineApp, waitFor, webhookFor } from '../pipeline/harness.ts';
import { SAMPLE_ORDERS, startFakePlatform, type FakePlatform } from '../fakes/platforms.ts';
import { createSession } from '../../src/lib/server/auth/session.ts';

/** Issue 11, low item: a member cannot make ChatMai call a shop's API without limit by asking for fresh orders. */
let app: RunningApp;
let shopee: FakePlatform;
const db = testPool(2);

beforeAll(async () => {
	app = await startPipelineApp();
	shopee = await startFakePlatform('shopee');
});
afterAll(async () => {
	await app.close();
	await shopee.close();
	await db.end();
});

describe('order refresh', () => {
	it('calls the shop at most three times a minute for one supervisor and conversation, however often asked', async () => {
		const owner = await signUpOwner(app);
		const connection = await connect(owner, shopee);
		await deliver(connection.webhookUrl, webhookFor({ fake: shopee, connection }, { kind: 'message', text: 'hello', customerId: SAMPLE_ORDERS[0].customerId }));
		const message = await waitFor(async () => (await messagesOf(db, connection.id))[0], 'the message');
		const user = await db.query(`insert into users (email, name, password_hash) values ($1, 'Malee', 'x') returning id`, [uniqueEmail('supervisor')]);
		await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, 'supervisor')`, [owner.workspaceId, user.rows[0].id]);
		const supervisor = new Client(app.url);
		supervisor.bearer = (await createSession(db, user.rows[0].id, owner.workspaceId)).token;

		const orderCalls = () => shopee.requests.filter((r) => r.path.includes('/order/')).length;
		expect((await supervisor.get(`/api/v1/conversations/${message.conversation_id}/orders`)).status).toBe(200);
		const before = orderCalls();
		const statuses: number[] = [];
		for (let i = 0; i < 20; i++) statuses.push((await supervisor.get(`/api/v1/conversations/${message.conversation_id}/orders?refresh=1`)).status);
		const made = orderCalls() - before;
		console.log(`20 forced refreshes: ${made} order calls to the shop (each refresh lists, then details)`);
		expect(statuses.every((s) => s === 200)).toBe(true);
		// Each refresh is one list call and one detail call on Shopee.
		const perRefresh = Math.max(1, before);
		expect(made / perRefresh).toBeLessThanOrEqual(3);
	});
});

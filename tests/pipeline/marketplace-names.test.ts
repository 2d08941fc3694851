import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { startFakePlatform, type FakePlatform } from '../fakes/platforms.ts';
import type { FakeOrder } from '../fakes/types.ts';
import { connect, deliver, signUpOwner, startPipelineApp, waitFor, webhookFor, type Owner } from './harness.ts';

/** The marketplaces have no profile to fetch: customers are named from the chat push, else from their orders. */

let app: RunningApp;
let owner: Owner;
const fakes: FakePlatform[] = [];

beforeAll(async () => {
	app = await startPipelineApp();
	owner = await signUpOwner(app);
});
afterAll(async () => {
	await app.close();
	await Promise.all(fakes.map((f) => f.close()));
});

function order(customerId: string, customerName: string): FakeOrder {
	return {
		id: `ORD${customerId}`,
		customerId,
		customerName,
		status: 'READY_TO_SHIP',
		currency: 'THB',
		items: [{ name: 'เสื้อยืดคอกลม', quantity: 1, price: 199 }],
		placedAt: new Date()
	};
}

const connected = new Map<string, { fake: FakePlatform; connection: Awaited<ReturnType<typeof connect>> }>();

async function customerWrites(platform: 'shopee' | 'lazada', customerId: string, text: string, extra: { customerName?: string; orders?: FakeOrder[] } = {}) {
	if (!connected.has(platform)) {
		const fake = await startFakePlatform(platform, { orders: [] });
		fakes.push(fake);
		connected.set(platform, { fake, connection: await connect(owner, fake) });
	}
	const { fake, connection } = connected.get(platform)!;
	fake.orders.push(...(extra.orders ?? []));
	// Each buyer has their own chat with the shop.
	const threadId = platform === 'shopee' ? `70912${customerId}` : `${connection.externalId}_2_${customerId}_1_103`;
	const event = { kind: 'message' as const, text, customerId, threadId, ...(extra.customerName ? { customerName: extra.customerName } : {}) };
	expect((await deliver(connection.webhookUrl, webhookFor({ fake, connection }, event))).status).toBe(200);
	const conversation = await waitFor(async () => (await owner.client.get(`/api/v1/conversations?q=${encodeURIComponent(text)}`)).json.items[0], 'the conversation');
	return { fake, conversationId: conversation.id as string };
}

describe('marketplace customer names', () => {
	it('names a Shopee customer after the buyer name in the chat push instead of “shopee customer 6171”', async () => {
		const { conversationId } = await customerWrites('shopee', '77106171', 'names shopee chat', { customerName: 'nong.mai.shop' });
		const detail = (await owner.client.get(`/api/v1/conversations/${conversationId}`)).json;
		expect(detail.contact).toMatchObject({ name: 'nong.mai.shop', platformName: 'nong.mai.shop', customName: null });
	});

	it('names a Lazada customer, whom the IM push leaves unnamed, after the buyer name on their order', async () => {
		const { conversationId } = await customerWrites('lazada', '5550172', 'names lazada order', { orders: [order('5550172', 'Malee Srisuk')] });
		const before = (await owner.client.get(`/api/v1/conversations/${conversationId}`)).json;
		expect(before.contact.name).toBe('lazada customer 0172');
		const orders = await owner.client.get(`/api/v1/conversations/${conversationId}/orders`);
		expect(orders.status).toBe(200);
		expect(orders.json.orders.map((o: { externalOrderId: string }) => o.externalOrderId)).toEqual(['ORD5550172']);
		const after = (await owner.client.get(`/api/v1/conversations/${conversationId}`)).json;
		expect(after.contact).toMatchObject({ name: 'Malee Srisuk', platformName: 'Malee Srisuk', customName: null });
	});

	it('keeps the buyer name a Shopee chat push gave when the order’s buyer_username differs', async () => {
		const { conversationId } = await customerWrites('shopee', '77106172', 'names shopee kept', {
			customerName: 'from.the.chat',
			orders: [order('77106172', 'from.the.order')]
		});
		expect((await owner.client.get(`/api/v1/conversations/${conversationId}/orders`)).json.orders).toHaveLength(1);
		const detail = (await owner.client.get(`/api/v1/conversations/${conversationId}`)).json;
		expect(detail.contact.platformName).toBe('from.the.chat');
	});
});

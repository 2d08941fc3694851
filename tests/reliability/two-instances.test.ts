import { afterAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { testPool } from '../helpers/db.ts';
import { startFakePlatform, type FakePlatform } from '../fakes/platforms.ts';
import { connect, deliver, messagesOf, openDocument, signUpOwner, startPipelineApp, waitFor, webhookFor, type DocClient } from '../pipeline/harness.ts';

/**
 * Issue 11 reliability battery: two instances behind Redis, on one database, each receiving half
 * of the webhooks for the same conversations (as a load balancer would spread them). Nothing is
 * lost, nothing is stored twice, and agents on either instance see every message live.
 */
const db = testPool(2);
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const apps: RunningApp[] = [];
const docs: DocClient[] = [];
let line: FakePlatform | undefined;

afterAll(async () => {
	for (const doc of docs) doc.close();
	await Promise.all(apps.map((app) => app.close()));
	await line?.close();
	await db.end();
});

describe('two instances behind Redis, each receiving half the webhooks', () => {
	it('stores every message once and shows each on both instances’ open documents', async () => {
		const one = await startPipelineApp({ REDIS_URL: redisUrl });
		apps.push(one);
		const two = await startPipelineApp({ REDIS_URL: redisUrl });
		apps.push(two);
		const owner = await signUpOwner(one);
		line = await startFakePlatform('line');
		const connection = await connect(owner, line);
		// Webhooks name the instance in their URL: the same path on either port.
		const on = (app: RunningApp) => connection.webhookUrl.replace(/^http:\/\/[^/]+/, app.url);
		const CUSTOMERS = 3;
		const PER_CUSTOMER = 14;
		const customers = Array.from({ length: CUSTOMERS }, () => 'U' + crypto.randomUUID().replaceAll('-', ''));
		const hooks = new Map<string, ReturnType<typeof webhookFor>>();
		const hook = (c: number, i: number) => {
			const key = `${c}:${i}`;
			if (!hooks.has(key)) hooks.set(key, webhookFor({ fake: line!, connection }, { kind: 'message', text: `customer ${c} message ${i}`, customerId: customers[c] }));
			return hooks.get(key)!;
		};

		// Each conversation starts on instance 1; an agent opens it on each instance.
		for (let c = 0; c < CUSTOMERS; c++) expect((await deliver(on(one), hook(c, 0))).status).toBe(200);
		const firsts = await waitFor(async () => {
			const rows = await messagesOf(db, connection.id);
			return rows.length === CUSTOMERS ? rows : null;
		}, 'the three conversations');
		const conversations = customers.map((_, c) => firsts.find((m) => m.body === `customer ${c} message 0`)!.conversation_id);
		const viewers = new Map<string, DocClient[]>();
		for (const id of conversations) {
			const pair = [await openDocument(one, owner.token, id), await openDocument(two, owner.token, id)];
			docs.push(...pair);
			viewers.set(id, pair);
		}

		// The rest, alternating instances, several in flight at once.
		const jobs: (() => Promise<number>)[] = [];
		for (let i = 1; i < PER_CUSTOMER; i++) {
			for (let c = 0; c < CUSTOMERS; c++) {
				const app = (i * CUSTOMERS + c) % 2 ? two : one;
				jobs.push(async () => (await deliver(on(app), hook(c, i))).status);
			}
		}
		const statuses: number[] = [];
		for (let i = 0; i < jobs.length; i += 6) statuses.push(...(await Promise.all(jobs.slice(i, i + 6).map((job) => job()))));
		expect(statuses.every((s) => s === 200)).toBe(true);

		// The platform delivers some again, to the other instance this time: still stored once.
		const redeliveries: number[] = [];
		for (let c = 0; c < CUSTOMERS; c++) {
			for (const i of [1, 2]) {
				const first = (i * CUSTOMERS + c) % 2 ? two : one;
				redeliveries.push((await deliver(on(first === one ? two : one), hook(c, i))).status);
			}
		}
		expect(redeliveries.every((s) => s === 200)).toBe(true);
		await waitFor(async () => (await db.query(`select count(*)::int as n from inbound_events where processed_at is null`)).rows[0].n === 0, 'every event processed');

		const total = CUSTOMERS * PER_CUSTOMER;
		const stored = await waitFor(async () => {
			const rows = await messagesOf(db, connection.id);
			return rows.length >= total ? rows : null;
		}, 'every message stored');
		await waitFor(
			() => conversations.every((id) => viewers.get(id)!.every((v) => stored.filter((m) => m.conversation_id === id).every((m) => v.messages().some((d) => d.id === m.id)))),
			'every message on both instances’ documents'
		);
		const inDocs = [...viewers.values()].flat().map((v) => v.messages());
		const duplicatedInDocs = inDocs.reduce((n, list) => n + list.length - new Set(list.map((m) => m.id)).size, 0);
		const conversationRows = await db.query(`select count(*)::int as n from conversations where connection_id = $1`, [connection.id]);
		console.log(
			`${total} webhooks, half on each instance, ${redeliveries.length} delivered again to the other: ${stored.length} stored, ${total - new Set(stored.map((m) => m.body)).size} lost, ` +
				`${stored.length - new Set(stored.map((m) => m.platform_message_id)).size} duplicated, ${conversationRows.rows[0].n} conversations; ` +
				`${inDocs.length} open documents (${inDocs.length / 2} per instance) each with all its messages, ${duplicatedInDocs} duplicates in them`
		);
		expect(stored).toHaveLength(total);
		expect(new Set(stored.map((m) => m.body)).size).toBe(total);
		expect(new Set(stored.map((m) => m.platform_message_id)).size).toBe(total);
		expect(conversationRows.rows[0].n).toBe(CUSTOMERS);
		expect(duplicatedInDocs).toBe(0);
	});
});

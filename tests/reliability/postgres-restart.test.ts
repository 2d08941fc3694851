import { afterAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { testDatabaseUrl, testPool } from '../helpers/db.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { startFakePlatform, type FakePlatform } from '../fakes/platforms.ts';
import { connect, deliver, messagesOf, openDocument, signUpOwner, startPipelineApp, waitFor, webhookFor } from '../pipeline/harness.ts';
import type { SignedWebhook } from '../fakes/platforms.ts';

/**
 * Issue 11 reliability battery: PostgreSQL goes away in the middle of an ingest and comes back.
 * The shared server cannot be restarted, so the app reaches it through a TCP proxy that is cut
 * (every connection dropped, new ones refused) and restored. Webhooks answer 503 while it is down;
 * everything acknowledged is stored after; a redelivery of what was refused is stored too; the
 * live document of an agent who stayed connected receives every message.
 */
const db = testPool(2);
let app: RunningApp | undefined;
let line: FakePlatform | undefined;
let proxy: Awaited<ReturnType<typeof startTcpProxy>> | undefined;

afterAll(async () => {
	proxy?.restore();
	await app?.close();
	await line?.close();
	await proxy?.close();
	await db.end();
});

describe('PostgreSQL restarted mid-ingest', () => {
	it('answers 503 while it is down, stores everything acknowledged and redelivered after, and live sync resumes', async () => {
		proxy = await startTcpProxy();
		const url = new URL(testDatabaseUrl());
		url.port = String(proxy.port);
		app = await startPipelineApp({ DATABASE_URL: url.toString() });
		const owner = await signUpOwner(app);
		line = await startFakePlatform('line');
		const connection = await connect(owner, line);
		const customerId = 'U' + crypto.randomUUID().replaceAll('-', '');
		const hook = (i: number) => webhookFor({ fake: line!, connection }, { kind: 'message', text: `pg outage message ${i}`, customerId });

		// The conversation exists and an agent has it open before the outage.
		expect((await deliver(connection.webhookUrl, hook(0))).status).toBe(200);
		const first = await waitFor(async () => (await messagesOf(db, connection.id))[0], 'the first message');
		const doc = await openDocument(app, owner.token, first.conversation_id);
		try {
			const TOTAL = 40;
			const sent = new Map<number, SignedWebhook>();
			const statuses = new Map<number, number>();
			let cutAt = 0;
			let restoredAt = 0;
			for (let i = 1; i < TOTAL; i++) {
				if (i === 12) {
					proxy.cut();
					cutAt = Date.now();
				}
				if (i === 28) {
					proxy.restore();
					restoredAt = Date.now();
				}
				const webhook = hook(i);
				sent.set(i, webhook);
				statuses.set(i, (await deliver(connection.webhookUrl, webhook)).status);
				if (i >= 12 && i < 28) await new Promise((resolve) => setTimeout(resolve, 100));
			}
			const acked = [...statuses].filter(([, s]) => s === 200).map(([i]) => i);
			const refused = [...statuses].filter(([, s]) => s === 503).map(([i]) => i);
			const other = [...statuses].filter(([, s]) => s !== 200 && s !== 503);

			// Everything acknowledged is stored.
			const text = (i: number) => `pg outage message ${i}`;
			await waitFor(async () => {
				const bodies = new Set((await messagesOf(db, connection.id)).map((m) => m.body));
				return acked.every((i) => bodies.has(text(i)));
			}, 'every acknowledged message stored', 20_000);
			// The platform delivers again what was refused; that is stored too, once.
			for (const i of refused) {
				await waitFor(async () => (await deliver(connection.webhookUrl, sent.get(i)!)).status === 200, `redelivery ${i} accepted`);
			}
			const stored = await waitFor(async () => {
				const rows = await messagesOf(db, connection.id);
				return rows.length === TOTAL ? rows : null;
			}, 'all forty messages stored', 20_000);
			// Live sync resumes: the agent's open document has every message.
			await waitFor(() => stored.every((m) => doc.messages().some((d) => d.id === m.id)), 'every message in the open document', 20_000);
			const liveMs = Date.now() - restoredAt;

			console.log(
				`database cut for ${restoredAt - cutAt} ms during ${TOTAL - 1} webhooks: ${acked.length} acknowledged, ${refused.length} answered 503, ` +
					`${other.length} other (${other.map(([, s]) => s).join(',') || 'none'}); after the restore ${stored.length}/${TOTAL} stored, ` +
					`${new Set(stored.map((m) => m.body)).size} distinct; open document complete ${liveMs} ms after the restore`
			);
			expect(refused.length).toBeGreaterThan(0);
			expect(other).toEqual([]);
			expect(new Set(stored.map((m) => m.platform_message_id)).size).toBe(TOTAL);
		} finally {
			doc.close();
		}
	});
});

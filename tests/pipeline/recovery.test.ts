import { afterAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { scratchDatabase, testDatabaseUrl, testPool } from '../helpers/db.ts';
import { createPool } from '../../src/lib/server/db.ts';
import { startTcpProxy } from '../helpers/tcp-proxy.ts';
import { startFakePlatform, uniqueAccountId, type FakePlatform } from '../fakes/platforms.ts';
import { connect, deliver, messagesOf, openDocument, signUpOwner, startPipelineApp, waitFor, webhookFor } from './harness.ts';

const db = testPool();
const fakes: FakePlatform[] = [];
const apps: RunningApp[] = [];

afterAll(async () => {
	await Promise.all(apps.map((a) => a.close()));
	await Promise.all(fakes.map((f) => f.close()));
	await db.end();
});

async function start(env: Record<string, string> = {}) {
	const app = await startPipelineApp(env);
	apps.push(app);
	return app;
}

async function fake(platform: Parameters<typeof startFakePlatform>[0]) {
	const f = await startFakePlatform(platform, { accountId: uniqueAccountId(platform) });
	fakes.push(f);
	return f;
}

describe('nothing acknowledged is lost', () => {
	it('puts every acknowledged webhook into its conversation after a restart, though no worker ran before', async () => {
		// A database of its own: any other file's server would otherwise run its ingest workers over
		// these rows, and "no worker ran before" would not hold.
		const scratch = await scratchDatabase('recovery');
		const own = createPool({ connectionString: scratch.url, max: 2, applicationName: 'chatmai-test' });
		try {
			const first = await start({ DATABASE_URL: scratch.url, CHATMAI_WORKERS: 'false' });
			const owner = await signUpOwner(first);
			const line = await fake('line');
			const shopee = await fake('shopee');
			const lineConnection = await connect(owner, line);
			const shopeeConnection = await connect(owner, shopee);
			const texts: string[] = [];
			for (let i = 0; i < 12; i++) {
				const [f, connection] = i % 2 ? [shopee, shopeeConnection] : [line, lineConnection];
				const text = `restart message ${i}: ยังไม่ได้รับของค่ะ`;
				texts.push(text);
				const res = await deliver(connection.webhookUrl, webhookFor({ fake: f, connection }, { kind: 'message', text }));
				expect(res.status).toBe(200);
			}
			const pending = await own.query(`select count(*)::int as n from inbound_events where processed_at is null`);
			expect(pending.rows[0].n).toBe(12);
			expect(await messagesOf(own, lineConnection.id)).toHaveLength(0);
			await first.close();

			const second = await start({ DATABASE_URL: scratch.url });
			const stored = await waitFor(async () => {
				const all = [...(await messagesOf(own, lineConnection.id)), ...(await messagesOf(own, shopeeConnection.id))];
				return all.length === 12 ? all : null;
			}, 'all twelve messages');
			expect(stored.map((m) => m.body).sort()).toEqual([...texts].sort());
			const lineMessages = stored.filter((m) => m.conversation_id === stored.find((s) => s.body === texts[0])!.conversation_id);
			const doc = await openDocument(second, owner.token, lineMessages[0].conversation_id);
			try {
				await waitFor(() => lineMessages.every((m) => doc.messages().some((d) => d.id === m.id)), 'every LINE message in the document');
			} finally {
				doc.close();
			}
			await second.close();
		} finally {
			await own.end();
			await scratch.drop();
		}
	});

	it('replays into the document a message that was committed but never mirrored', async () => {
		const app = await start();
		const owner = await signUpOwner(app);
		const line = await fake('line');
		const connection = await connect(owner, line);
		await deliver(connection.webhookUrl, webhookFor({ fake: line, connection }, { kind: 'message', text: 'first, to make the conversation' }));
		const [message] = await waitFor(async () => {
			const rows = await messagesOf(db, connection.id);
			return rows.length ? rows : null;
		}, 'the first message');
		// As if the process had died between the commit and the append.
		const { rows } = await db.query(
			`with m as (
			   insert into messages (workspace_id, conversation_id, connection_id, platform_message_id, direction, sender_type, body)
			   values ($1, $2, $3, $4, 'in', 'customer', 'committed, not mirrored') returning id, workspace_id, delivery_state
			 ), q as (insert into message_mirror_queue (message_id, workspace_id, delivery_state) select id, workspace_id, delivery_state from m)
			 select id from m`,
			[owner.workspaceId, message.conversation_id, connection.id, crypto.randomUUID()]
		);
		await app.close();
		const restarted = await start();
		const doc = await openDocument(restarted, owner.token, message.conversation_id);
		try {
			await waitFor(() => doc.messages().some((m) => m.id === rows[0].id), 'the replayed message in the document');
		} finally {
			doc.close();
		}
		await waitFor(async () => (await db.query(`select 1 from message_mirror_queue where message_id = $1`, [rows[0].id])).rowCount === 0, 'taken off the mirror queue');
	});

	it('answers 503 while the database is down, so the platform delivers again, and stores the redelivery', async () => {
		const proxy = await startTcpProxy();
		try {
			const url = new URL(testDatabaseUrl());
			url.port = String(proxy.port);
			const app = await start({ DATABASE_URL: url.toString() });
			const owner = await signUpOwner(app);
			const line = await fake('line');
			const connection = await connect(owner, line);
			const webhook = webhookFor({ fake: line, connection }, { kind: 'message', text: 'sent while the database is down' });
			// Warm: the connection is known, so only the insert can fail.
			await deliver(connection.webhookUrl, webhookFor({ fake: line, connection }, { kind: 'message', text: 'warm up' }));
			proxy.cut();
			expect((await deliver(connection.webhookUrl, webhook)).status).toBe(503);
			proxy.restore();
			const retried = await waitFor(async () => {
				const res = await deliver(connection.webhookUrl, webhook);
				return res.status === 200 ? res : null;
			}, 'a 200 once the database is back');
			expect(retried.status).toBe(200);
			await waitFor(async () => (await messagesOf(db, connection.id)).some((m) => m.body === 'sent while the database is down'), 'the message stored');
		} finally {
			proxy.restore();
			await proxy.close();
		}
	});
});

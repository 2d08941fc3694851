import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { KeyRing } from '../../src/lib/server/crypto.ts';
import { runRetention, withPrivacyLock, purgeWorkspaceHistory } from '../../src/lib/server/privacy/retention.ts';
import { testPool } from '../helpers/db.ts';
import { startPrivacyJobs } from '../../src/lib/server/privacy/jobs.ts';
import { seedWorkspace } from './fixtures.ts';

const db = testPool();
const keyRing = new KeyRing([{ id: 't1', key: randomBytes(32) }]);
afterAll(() => db.end());

async function workspace(retentionDays: number): Promise<string> {
	const { rows } = await db.query(`insert into workspaces (name, retention_days) values ('Retention shop', $1) returning id`, [retentionDays]);
	return rows[0].id;
}

async function messageAges(workspaceId: string): Promise<number[]> {
	const { rows } = await db.query(
		`select extract(day from now() - created_at)::int as age from messages where workspace_id = $1 order by created_at desc`,
		[workspaceId]
	);
	return rows.map((r) => r.age);
}

describe('retention', () => {
	it("deletes the messages older than a workspace's retention and keeps recent ones and other workspaces' messages", async () => {
		const short = await workspace(30);
		const long = await workspace(365);
		const a = await seedWorkspace(db, keyRing, short, null, [1, 20, 45, 200]);
		await seedWorkspace(db, keyRing, long, null, [1, 20, 45, 200]);

		await runRetention(db);

		expect(await messageAges(short)).toEqual([1, 20]);
		expect(await messageAges(long)).toEqual([1, 20, 45, 200]);
		const conversation = await db.query('select 1 from conversations where id = $1', [a.conversationId]);
		expect(conversation.rowCount).toBe(1);
	});

	it('never keeps history longer than 12 months, whatever the stored setting says', async () => {
		const ws = await workspace(3650);
		await seedWorkspace(db, keyRing, ws, null, [10, 364, 366, 800]);
		await runRetention(db, { workspaceId: ws });
		expect(await messageAges(ws)).toEqual([10, 364]);
	});

	it('deletes a conversation, its live document and its contact once no recent message is left, but keeps a new empty one', async () => {
		const ws = await workspace(30);
		const old = await seedWorkspace(db, keyRing, ws, null, [40, 90]);
		const fresh = await seedWorkspace(db, keyRing, ws, null, [2]);
		await db.query('delete from messages where conversation_id = $1', [fresh.conversationId]);
		await db.query(`update contacts set updated_at = now() - interval '100 days' where id = any($1::uuid[])`, [[old.contactId, fresh.contactId]]);

		const counts = await purgeWorkspaceHistory(db, ws, 30);

		expect(counts).toMatchObject({ messages: 2, conversations: 1, collabDocuments: 1, contacts: 1 });
		expect((await db.query('select 1 from conversations where id = $1', [old.conversationId])).rowCount).toBe(0);
		expect((await db.query('select 1 from collab_documents where name = $1', [`conversation:${old.conversationId}`])).rowCount).toBe(0);
		expect((await db.query('select 1 from contacts where id = $1', [old.contactId])).rowCount).toBe(0);
		expect((await db.query('select 1 from conversations where id = $1', [fresh.conversationId])).rowCount).toBe(1);
		expect((await db.query('select 1 from contacts where id = $1', [fresh.contactId])).rowCount).toBe(1);
	});

	it('counts in a dry run exactly what a real run then deletes, and deletes nothing itself', async () => {
		const ws = await workspace(30);
		await seedWorkspace(db, keyRing, ws, null, [40, 50]);
		await seedWorkspace(db, keyRing, ws, null, [5, 60]);
		const planned = await purgeWorkspaceHistory(db, ws, 30, { dryRun: true });
		expect(await messageAges(ws)).toHaveLength(4);
		const done = await purgeWorkspaceHistory(db, ws, 30);
		expect(planned).toEqual(done);
		expect(done.messages).toBe(3);
	});

	it('splits the work between concurrent runs without deleting a row twice', async () => {
		const ws = await workspace(7);
		await seedWorkspace(db, keyRing, ws, null, Array.from({ length: 60 }, (_, i) => 10 + i));
		const runs = await Promise.all([1, 2, 3].map(() => purgeWorkspaceHistory(db, ws, 7, { batchSize: 7 })));
		expect(runs.reduce((sum, r) => sum + r.messages, 0)).toBe(60);
		expect(await messageAges(ws)).toEqual([]);
	});

	it('drops processed webhook events after 30 days, expired sessions and old notifications, and keeps unprocessed events', async () => {
		const ws = await workspace(365);
		const seeded = await seedWorkspace(db, keyRing, ws, null, [1]);
		const ev = (id: string, processedDaysAgo: number | null) =>
			db.query(
				`insert into inbound_events (workspace_id, connection_id, platform, event_id, kind, payload, received_at, processed_at)
				 values ($1, $2, 'line', $3, 'message', '{}', now() - interval '40 days', case when $4::int is null then null else now() - make_interval(days => $4::int) end)`,
				[ws, seeded.connectionId, id, processedDaysAgo]
			);
		await ev('old-processed', 31);
		await ev('recent-processed', 3);
		await ev('unprocessed', null);
		const { rows: [user] } = await db.query(`insert into users (email, name, password_hash) values ($1, 'R', 'x') returning id`, [`r-${crypto.randomUUID()}@example.test`]);
		await db.query(`insert into sessions (id, secret_hash, user_id, expires_at) values ($1, repeat('a', 64), $2, now() - interval '1 minute')`, [`s${crypto.randomUUID()}`, user.id]);
		await db.query(
			`insert into notifications (workspace_id, user_id, kind, excerpt, created_at) values ($1, $2, 'mention', 'old', now() - interval '91 days'), ($1, $2, 'mention', 'new', now())`,
			[ws, user.id]
		);

		await runRetention(db);

		const events = await db.query(`select event_id from inbound_events where connection_id = $1 order by event_id`, [seeded.connectionId]);
		expect(events.rows.map((r) => r.event_id)).toEqual(expect.arrayContaining(['recent-processed', 'unprocessed']));
		expect(events.rows.map((r) => r.event_id)).not.toContain('old-processed');
		expect((await db.query('select 1 from sessions where user_id = $1', [user.id])).rowCount).toBe(0);
		const notes = await db.query(`select excerpt from notifications where user_id = $1`, [user.id]);
		expect(notes.rows.map((r) => r.excerpt)).toEqual(['new']);
	});

	it('lets one instance at a time hold the privacy lock', async () => {
		let inner: unknown = 'not run';
		const outer = await withPrivacyLock(db, async () => {
			inner = await withPrivacyLock(db, async () => 'second');
			return 'first';
		});
		expect(outer).toBe('first');
		expect(inner).toBeNull();
	});

	it('purges workspaces marked for deletion and applies retention in one scheduled round', async () => {
		const doomed = await workspace(365);
		const kept = await workspace(30);
		await seedWorkspace(db, keyRing, doomed, null, [1]);
		await seedWorkspace(db, keyRing, kept, null, [1, 40]);
		await db.query('update workspaces set deletion_requested_at = now() where id = $1', [doomed]);
		const jobs = startPrivacyJobs({ db, firstRunMs: 60_000, intervalMs: 60_000 });
		try {
			const round = await jobs.runNow();
			expect(round?.purged.map((p) => p.workspaceId)).toContain(doomed);
		} finally {
			await jobs.stop();
		}
		expect((await db.query('select 1 from workspaces where id = $1', [doomed])).rowCount).toBe(0);
		expect(await messageAges(kept)).toEqual([1]);
	});
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { testPool } from '../helpers/db.ts';
import { Client as ApiClient } from '../helpers/app.ts';
import { connectAll, deliver, signUpOwner, startPipelineApp, webhookFor, type Connected, type Owner } from '../pipeline/harness.ts';
import { connect, createFixture, disconnect, startServer, waitFor, type Client, type Fixture, type TestServer } from '../collab/helpers.ts';
import { accessChanged } from '../../src/lib/server/access-changes.ts';
import { parseFeedMessage, workspaceFeedName, type FeedMessage } from '../../src/lib/live-feed.ts';
import type { ConversationSummary } from '../../src/lib/server/conversations.ts';

/**
 * The workspace feed (issue 13, item 1): what changes in a workspace is pushed to its members over
 * `/collab`, from whichever instance committed it to whichever instance holds the member's socket
 * (Redis), to members only, and a member whose access is taken away stops hearing it.
 *
 * The app (instance one, with the workers) commits; the listeners sit on a bare collab instance
 * two that shares its Redis, so every message seen here crossed Redis.
 */

const db = testPool();
const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
let app: RunningApp;
let two: TestServer;
let owner: Owner;
let line: Connected;

interface FeedClient extends Client {
	messages: FeedMessage[];
	rows(): ConversationSummary[];
	closedWith(): string | null;
}

function listen(url: string, workspaceId: string, token: string): FeedClient {
	const client = connect(url, workspaceFeedName(workspaceId), token);
	const messages: FeedMessage[] = [];
	let closed: string | null = null;
	client.provider.on('stateless', ({ payload }: { payload: string }) => {
		const message = parseFeedMessage(payload);
		if (message) messages.push(message);
	});
	client.provider.on('close', ({ event }: { event: { reason: string } }) => (closed ??= event.reason));
	return {
		...client,
		messages,
		rows: () => messages.flatMap((m) => (m.type === 'conversations' ? m.items : [])),
		closedWith: () => closed
	};
}

beforeAll(async () => {
	app = await startPipelineApp({ REDIS_URL: redisUrl });
	two = await startServer(db, { redisUrl, redisSyncDelayMs: 200 });
	await two.collab.feed.ready();
	owner = await signUpOwner(app);
	({ line } = await connectAll(owner, ['line']));
});

afterAll(async () => {
	await two?.close();
	await app?.close();
	await line?.fake.close();
	await db.end();
});

describe('the workspace feed', () => {
	it("pushes the list row to a member on another instance when a webhook's message is committed, and nothing to another workspace", async () => {
		const member = listen(two.url, owner.workspaceId, owner.token);
		const stranger = await signUpOwner(app);
		const elsewhere = listen(two.url, stranger.workspaceId, stranger.token);
		expect(await member.ready).toBe(true);
		expect(await elsewhere.ready).toBe(true);

		const text = `Is the blue one in stock? ${crypto.randomUUID().slice(0, 8)}`;
		const res = await deliver(line.connection.webhookUrl, webhookFor(line, { kind: 'message', text }));
		expect(res.status).toBe(200);

		const row = await waitFor(() => member.rows().find((r) => r.lastMessagePreview === text), 'the pushed row');
		expect(row).toMatchObject({ platform: 'line', status: 'open' });
		expect(row.unreadCount).toBeGreaterThanOrEqual(1);
		const { rows } = await db.query(`select workspace_id from conversations where id = $1`, [row.id]);
		expect(rows[0].workspace_id).toBe(owner.workspaceId);

		// A second message is the fence: once the member has it, the first was long delivered everywhere.
		const fence = `And the red one? ${crypto.randomUUID().slice(0, 8)}`;
		await deliver(line.connection.webhookUrl, webhookFor(line, { kind: 'message', text: fence }));
		await waitFor(() => member.rows().some((r) => r.lastMessagePreview === fence), 'the fence row');
		expect(elsewhere.messages).toEqual([]);
		disconnect(member, elsewhere);
	});

	it("refuses another workspace's member and a connection without a valid token", async () => {
		const stranger = await signUpOwner(app);
		const intruder = listen(two.url, owner.workspaceId, stranger.token);
		expect(await intruder.ready).toBe(false);
		expect(intruder.denied()).toBe('not-found');
		const anonymous = listen(two.url, owner.workspaceId, 'not-a-token');
		expect(await anonymous.ready).toBe(false);
		expect(anonymous.denied()).toBe('unauthenticated');
		disconnect(intruder, anonymous);
	});

	it('tells only the mentioned member that a notification was created', async () => {
		const fx: Fixture = await createFixture(db);
		const mentioned = listen(two.url, fx.workspaceId, fx.agentB.token);
		const author = listen(two.url, fx.workspaceId, fx.agentA.token);
		expect(await mentioned.ready).toBe(true);
		expect(await author.ready).toBe(true);
		const rest = new ApiClient(app.url);
		rest.bearer = fx.supervisor.token;
		const res = await rest.request('POST', `/api/v1/conversations/${fx.conversationId}/notes`, { body: '@Malee please call back', mentions: [fx.agentB.userId] }, { 'x-workspace-id': fx.workspaceId });
		expect(res.status, res.text).toBe(201);
		await waitFor(() => mentioned.messages.some((m) => m.type === 'notification'), 'the notification at the mentioned member');
		const { rows } = await db.query(`select count(*)::int as n from notifications where user_id = $1 and kind = 'mention'`, [fx.agentB.userId]);
		expect(rows[0].n).toBe(1);
		expect(author.messages.filter((m) => m.type === 'notification')).toEqual([]);
		disconnect(mentioned, author);
	});

	it("pushes the row of a REST command's change to every member, and the assignment to the assignee only", async () => {
		const fx: Fixture = await createFixture(db);
		const assignee = listen(two.url, fx.workspaceId, fx.agentB.token);
		const watcher = listen(two.url, fx.workspaceId, fx.supervisor.token);
		expect(await assignee.ready).toBe(true);
		expect(await watcher.ready).toBe(true);
		const rest = new ApiClient(app.url);
		rest.bearer = fx.agentA.token;
		const headers = { 'x-workspace-id': fx.workspaceId };
		const status = await rest.request('POST', `/api/v1/conversations/${fx.conversationId}/status`, { status: 'pending' }, headers);
		expect(status.status, status.text).toBe(200);
		await waitFor(() => watcher.rows().some((r) => r.id === fx.conversationId && r.status === 'pending'), 'the pending row');
		const assigned = await rest.request('POST', `/api/v1/conversations/${fx.conversationId}/assign`, { assigneeId: fx.agentB.userId }, headers);
		expect(assigned.status, assigned.text).toBe(200);
		await waitFor(() => watcher.rows().some((r) => r.id === fx.conversationId && r.assignee?.id === fx.agentB.userId), 'the assigned row');
		await waitFor(() => assignee.messages.some((m) => m.type === 'notification'), 'the assignment at the assignee');
		expect(watcher.messages.filter((m) => m.type === 'notification')).toEqual([]);
		disconnect(assignee, watcher);
	});

	it('tells the author of a reply the platform refused, and marks its row for the failed filter', async () => {
		const member = listen(two.url, owner.workspaceId, owner.token);
		expect(await member.ready).toBe(true);
		const text = `Can you hold it for me? ${crypto.randomUUID().slice(0, 8)}`;
		const customerId = `U${String(Math.floor(Math.random() * 1e12)).padStart(12, '0')}${'0'.repeat(20)}`;
		expect((await deliver(line.connection.webhookUrl, webhookFor(line, { kind: 'message', text, customerId }))).status).toBe(200);
		const row = await waitFor(() => member.rows().find((r) => r.lastMessagePreview === text), 'the customer row');
		const before = member.messages.filter((m) => m.type === 'notification').length;
		line.fake.failNext(1, 400);
		const res = await owner.client.post(`/api/v1/conversations/${row.id}/replies`, { body: 'Held until Friday' }, { 'idempotency-key': crypto.randomUUID() });
		expect(res.status).toBe(202);
		await waitFor(() => member.messages.filter((m) => m.type === 'notification').length > before, 'the notification push');
		const list = await owner.client.get('/api/v1/notifications');
		expect(list.json.items[0]).toMatchObject({ kind: 'send_failed', conversationId: row.id, excerpt: 'Held until Friday', read: false });
		// Marked on its list row, pushed, and found with the "failed" filter.
		await waitFor(() => member.rows().some((r) => r.id === row.id && r.failedReplies === 1), 'the row marked failed');
		const failed = await owner.client.get('/api/v1/conversations?filter=failed');
		expect(failed.json.items.map((c: { id: string }) => c.id)).toContain(row.id);
		const all = await owner.client.get('/api/v1/conversations?filter=failed&limit=100');
		expect(all.json.items.every((c: { failedReplies: number }) => c.failedReplies > 0)).toBe(true);
		disconnect(member);
	});

	it('closes the feed on the other instance when the member is removed from the workspace', async () => {
		const fx = await createFixture(db);
		const leaving = listen(two.url, fx.workspaceId, fx.agentA.token);
		const staying = listen(two.url, fx.workspaceId, fx.agentB.token);
		expect(await leaving.ready).toBe(true);
		expect(await staying.ready).toBe(true);
		await db.query('delete from memberships where workspace_id = $1 and user_id = $2', [fx.workspaceId, fx.agentA.userId]);
		accessChanged({ type: 'user', userId: fx.agentA.userId });
		await waitFor(() => leaving.closedWith() === 'access-revoked', 'the feed to be closed');
		await waitFor(() => leaving.denied(), 'the reconnect to be refused');
		expect(staying.closedWith()).toBeNull();
		disconnect(leaving, staying);
	});
});

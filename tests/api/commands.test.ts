import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool } from '../helpers/db.ts';
import { connect, createFixture, disconnect, waitFor, type Client as DocClient, type Fixture } from '../collab/helpers.ts';
import { readLabels, readMeta, readNotes } from '../../src/lib/conversation-doc.ts';

/**
 * The conversation commands over REST: each one writes PostgreSQL (with its history row), shows
 * the change to an agent who has the conversation open, refuses a supervisor, hides another
 * workspace's conversation and refuses invalid input, the same rules the live document obeys.
 */

const db = testPool();
let app: RunningApp;
let fx: Fixture;
let other: Fixture;
let agent: Client;
let supervisor: Client;
let tab: DocClient;

beforeAll(async () => {
	app = await startTestApp({ CHATMAI_WORKERS: 'false' });
	fx = await createFixture(db);
	other = await createFixture(db);
	agent = new Client(app.url);
	agent.bearer = fx.agentA.token;
	supervisor = new Client(app.url);
	supervisor.bearer = fx.supervisor.token;
	tab = connect(app.url.replace(/^http/, 'ws') + '/collab', fx.docName, fx.agentB.token);
	expect(await tab.ready).toBe(true);
});
afterAll(async () => {
	if (tab) disconnect(tab);
	await app?.close();
	await db.end();
});

const headers = () => ({ 'x-workspace-id': fx.workspaceId });
const url = (conversationId: string, command: string) => `/api/v1/conversations/${conversationId}/${command}`;

async function events(kind: string) {
	const { rows } = await db.query('select actor_id, data from conversation_events where conversation_id = $1 and kind = $2 order by created_at, id', [
		fx.conversationId,
		kind
	]);
	return rows;
}

describe('POST /conversations/:id/assign', () => {
	it('assigns the conversation, notifies the assignee, keeps the history and shows it in the open tab', async () => {
		const res = await agent.post(url(fx.conversationId, 'assign'), { assigneeId: fx.agentB.userId }, headers());
		expect(res.status).toBe(200);
		expect(res.json).toEqual({ assigneeId: fx.agentB.userId, changed: true });
		const { rows } = await db.query('select assignee_id from conversations where id = $1', [fx.conversationId]);
		expect(rows[0].assignee_id).toBe(fx.agentB.userId);
		const history = await db.query('select assignee_id, assigned_by from assignments where conversation_id = $1', [fx.conversationId]);
		expect(history.rows).toEqual([{ assignee_id: fx.agentB.userId, assigned_by: fx.agentA.userId }]);
		expect(await events('assignee')).toEqual([{ actor_id: fx.agentA.userId, data: { from: null, to: fx.agentB.userId } }]);
		const told = await db.query(`select actor_id from notifications where user_id = $1 and kind = 'assigned' and conversation_id = $2`, [
			fx.agentB.userId,
			fx.conversationId
		]);
		expect(told.rows).toEqual([{ actor_id: fx.agentA.userId }]);
		await waitFor(() => readMeta(tab.doc).assigneeId === fx.agentB.userId, 'the assignee in the open tab');

		const again = await agent.post(url(fx.conversationId, 'assign'), { assigneeId: fx.agentB.userId }, headers());
		expect(again.json).toEqual({ assigneeId: fx.agentB.userId, changed: false });
		expect(await events('assignee')).toHaveLength(1);
	});

	it('unassigns with null', async () => {
		const res = await agent.post(url(fx.conversationId, 'assign'), { assigneeId: null }, headers());
		expect(res.status).toBe(200);
		await waitFor(() => readMeta(tab.doc).assigneeId === null, 'no assignee in the open tab');
		expect((await db.query('select assignee_id from conversations where id = $1', [fx.conversationId])).rows[0].assignee_id).toBeNull();
	});

	it('refuses a supervisor, another workspace, a non-member and a member who may not reply', async () => {
		const refused = await supervisor.post(url(fx.conversationId, 'assign'), { assigneeId: fx.agentA.userId }, headers());
		expect(refused.status).toBe(403);
		expect(refused.json.error.code).toBe('forbidden');
		expect((await agent.post(url(other.conversationId, 'assign'), { assigneeId: fx.agentA.userId }, headers())).status).toBe(404);
		expect((await agent.post(url(fx.conversationId, 'assign'), { assigneeId: fx.agentA.userId }, { 'x-workspace-id': other.workspaceId })).status).toBe(404);
		const stranger = await agent.post(url(fx.conversationId, 'assign'), { assigneeId: other.agentA.userId }, headers());
		expect(stranger.status).toBe(400);
		expect(stranger.json.error).toMatchObject({ code: 'invalid_input', details: [{ path: 'assigneeId' }] });
		expect((await agent.post(url(fx.conversationId, 'assign'), { assigneeId: fx.supervisor.userId }, headers())).status).toBe(400);
		expect((await agent.post(url(fx.conversationId, 'assign'), { assigneeId: 'somchai' }, headers())).status).toBe(400);
		expect((await db.query('select assignee_id from conversations where id = $1', [fx.conversationId])).rows[0].assignee_id).toBeNull();
	});
});

describe('POST /conversations/:id/status', () => {
	it('resolves and reopens the conversation, with a history row each, and the open tab shows it', async () => {
		const resolved = await agent.post(url(fx.conversationId, 'status'), { status: 'resolved' }, headers());
		expect(resolved.status).toBe(200);
		expect(resolved.json).toEqual({ status: 'resolved', snoozedUntil: null, changed: true });
		await waitFor(() => readMeta(tab.doc).status === 'resolved', 'resolved in the open tab');
		const reopened = await agent.post(url(fx.conversationId, 'status'), { status: 'open' }, headers());
		expect(reopened.json.status).toBe('open');
		await waitFor(() => readMeta(tab.doc).status === 'open', 'open in the open tab');
		expect((await events('status')).slice(-2)).toEqual([
			{ actor_id: fx.agentA.userId, data: { from: 'open', to: 'resolved', snoozedUntil: null } },
			{ actor_id: fx.agentA.userId, data: { from: 'resolved', to: 'open', snoozedUntil: null } }
		]);
	});

	it('refuses a supervisor, another workspace, an unknown status and snoozing without a time', async () => {
		expect((await supervisor.post(url(fx.conversationId, 'status'), { status: 'resolved' }, headers())).status).toBe(403);
		expect((await agent.post(url(other.conversationId, 'status'), { status: 'resolved' }, headers())).status).toBe(404);
		expect((await agent.post(url(crypto.randomUUID(), 'status'), { status: 'resolved' }, headers())).status).toBe(404);
		const unknown = await agent.post(url(fx.conversationId, 'status'), { status: 'closed' }, headers());
		expect(unknown.status).toBe(400);
		expect(unknown.json.error.code).toBe('invalid_input');
		expect((await agent.post(url(fx.conversationId, 'status'), { status: 'snoozed' }, headers())).status).toBe(400);
		expect((await db.query('select status from conversations where id = $1', [other.conversationId])).rows[0].status).toBe('open');
		expect((await db.query('select status from conversations where id = $1', [fx.conversationId])).rows[0].status).toBe('open');
	});
});

describe('POST /conversations/:id/snooze', () => {
	it('snoozes the conversation until a time to come, which the open tab shows', async () => {
		const until = new Date(Date.now() + 3_600_000).toISOString();
		const res = await agent.post(url(fx.conversationId, 'snooze'), { until }, headers());
		expect(res.status).toBe(200);
		expect(res.json).toEqual({ status: 'snoozed', snoozedUntil: until, changed: true });
		const { rows } = await db.query('select status, snoozed_until from conversations where id = $1', [fx.conversationId]);
		expect(rows[0].status).toBe('snoozed');
		expect(rows[0].snoozed_until.toISOString()).toBe(until);
		await waitFor(() => readMeta(tab.doc).status === 'snoozed' && readMeta(tab.doc).snoozedUntil === until, 'snoozed in the open tab');
		expect((await events('status')).at(-1)).toEqual({ actor_id: fx.agentA.userId, data: { from: 'open', to: 'snoozed', snoozedUntil: until } });
	});

	it('refuses a supervisor, another workspace, a time gone by and a time that is not one', async () => {
		const until = new Date(Date.now() + 3_600_000).toISOString();
		expect((await supervisor.post(url(fx.conversationId, 'snooze'), { until }, headers())).status).toBe(403);
		expect((await agent.post(url(other.conversationId, 'snooze'), { until }, headers())).status).toBe(404);
		const past = await agent.post(url(fx.conversationId, 'snooze'), { until: new Date(Date.now() - 60_000).toISOString() }, headers());
		expect(past.status).toBe(400);
		expect(past.json.error.details).toEqual([expect.objectContaining({ path: 'until' })]);
		expect((await agent.post(url(fx.conversationId, 'snooze'), { until: 'tomorrow' }, headers())).status).toBe(400);
		expect((await db.query('select status from conversations where id = $1', [other.conversationId])).rows[0].status).toBe('open');
	});
});

describe('PUT /conversations/:id/labels', () => {
	it('replaces the labels with a sorted set, keeps what was added and removed, and the open tab shows it', async () => {
		const first = await agent.request('PUT', url(fx.conversationId, 'labels'), { labels: ['vip', 'ลดราคา', 'vip'] }, headers());
		expect(first.status).toBe(200);
		expect(first.json).toEqual({ labels: ['vip', 'ลดราคา'], changed: true });
		await waitFor(() => readLabels(tab.doc).sort().join() === 'vip,ลดราคา', 'the labels in the open tab');
		const second = await agent.request('PUT', url(fx.conversationId, 'labels'), { labels: ['paid', 'vip'] }, headers());
		expect(second.json.labels).toEqual(['paid', 'vip']);
		await waitFor(() => readLabels(tab.doc).sort().join() === 'paid,vip', 'the new labels in the open tab');
		expect((await db.query('select labels from conversations where id = $1', [fx.conversationId])).rows[0].labels).toEqual(['paid', 'vip']);
		expect((await events('labels')).map((e) => e.data)).toEqual([
			{ added: ['vip', 'ลดราคา'], removed: [] },
			{ added: ['paid'], removed: ['ลดราคา'] }
		]);
	});

	it('refuses a supervisor, another workspace, an invalid label and too many labels', async () => {
		expect((await supervisor.request('PUT', url(fx.conversationId, 'labels'), { labels: [] }, headers())).status).toBe(403);
		expect((await agent.request('PUT', url(other.conversationId, 'labels'), { labels: ['vip'] }, headers())).status).toBe(404);
		const invalid = await agent.request('PUT', url(fx.conversationId, 'labels'), { labels: ['ok', '  spaced'] }, headers());
		expect(invalid.status).toBe(400);
		expect(invalid.json.error).toMatchObject({ code: 'invalid_input', details: [{ path: 'labels' }] });
		const many = Array.from({ length: 31 }, (_, i) => `label-${i}`);
		expect((await agent.request('PUT', url(fx.conversationId, 'labels'), { labels: many }, headers())).status).toBe(400);
		expect((await db.query('select labels from conversations where id = $1', [fx.conversationId])).rows[0].labels).toEqual(['paid', 'vip']);
	});
});

describe('POST /conversations/:id/notes', () => {
	it('writes a note with a mention that the open tab shows, and refuses another workspace and an empty note', async () => {
		const res = await agent.post(url(fx.conversationId, 'notes'), { body: 'Refund approved', mentions: [fx.agentB.userId] }, headers());
		expect(res.status).toBe(201);
		expect(res.json.note).toMatchObject({ authorId: fx.agentA.userId, mentions: [fx.agentB.userId] });
		await waitFor(() => readNotes(tab.doc).some((n) => n.id === res.json.note.id), 'the note in the open tab');
		const told = await db.query(`select count(*)::int as n from notifications where user_id = $1 and kind = 'mention'`, [fx.agentB.userId]);
		expect(told.rows[0].n).toBe(1);
		expect((await agent.post(url(other.conversationId, 'notes'), { body: 'hello' }, headers())).status).toBe(404);
		expect((await agent.post(url(fx.conversationId, 'notes'), { body: ' ' }, headers())).status).toBe(400);
	});
});

describe('the same commands as form actions of the conversation page', () => {
	const form = (client: Client, action: string, fields: [string, string][]) =>
		client.request('POST', `/w/${fx.workspaceId}/inbox/${fx.conversationId}?/${action}`, new URLSearchParams(fields).toString(), {
			'content-type': 'application/x-www-form-urlencoded',
			accept: 'application/json'
		});
	const browser = (token: string) => {
		const client = new Client(app.url);
		client.cookie = `chatmai_session=${token}`;
		return client;
	};

	it('assign, set the status, snooze and label without JavaScript, and the open tab shows each', async () => {
		const agentBrowser = browser(fx.agentA.token);
		expect((await form(agentBrowser, 'assign', [['assigneeId', fx.agentA.userId]])).json.type).toBe('success');
		await waitFor(() => readMeta(tab.doc).assigneeId === fx.agentA.userId, 'the assignee in the open tab');
		expect((await form(agentBrowser, 'status', [['status', 'pending']])).json.type).toBe('success');
		await waitFor(() => readMeta(tab.doc).status === 'pending', 'pending in the open tab');
		const until = new Date(Date.now() + 7_200_000).toISOString();
		expect((await form(agentBrowser, 'snooze', [['until', until]])).json.type).toBe('success');
		await waitFor(() => readMeta(tab.doc).snoozedUntil === until, 'snoozed in the open tab');
		expect((await form(agentBrowser, 'labels', [['label', 'vip'], ['label', 'wholesale']])).json.type).toBe('success');
		await waitFor(() => readLabels(tab.doc).sort().join() === 'vip,wholesale', 'the labels in the open tab');
		const { rows } = await db.query('select assignee_id, status, labels from conversations where id = $1', [fx.conversationId]);
		expect(rows[0]).toEqual({ assignee_id: fx.agentA.userId, status: 'snoozed', labels: ['vip', 'wholesale'] });
	});

	it('refuses a supervisor and invalid input with a sentence key, keeping what was sent', async () => {
		const refused = await form(browser(fx.supervisor.token), 'status', [['status', 'resolved']]);
		expect(refused.json).toMatchObject({ type: 'failure', status: 403 });
		const invalid = await form(browser(fx.agentA.token), 'status', [['status', 'closed']]);
		expect(invalid.json).toMatchObject({ type: 'failure', status: 400 });
		expect(invalid.json.data).toContain('conversation.command.statusInvalid');
		const stranger = await form(browser(fx.agentA.token), 'assign', [['assigneeId', other.agentA.userId]]);
		expect(stranger.json).toMatchObject({ type: 'failure', status: 400 });
		expect((await db.query('select status, assignee_id from conversations where id = $1', [fx.conversationId])).rows[0]).toEqual({
			status: 'snoozed',
			assignee_id: fx.agentA.userId
		});
	});
});

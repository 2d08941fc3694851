import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { seedWorkspace } from '../helpers/seed.ts';
import type { Queryable } from '../../src/lib/server/db.ts';
import type { Principal } from '../../src/lib/server/auth/principal.ts';
import { overviewReport } from '../../src/lib/server/reports.ts';
import { scopeFor, type WorkspaceScope } from '../../src/lib/server/scope.ts';

/**
 * The dashboard's figures on a small shop whose every message time is known. The report is made
 * at a pinned instant: 2026-03-10 05:00 UTC, which is 12:00 in Bangkok, so "today" began at
 * 2026-03-09 17:00 UTC.
 */
const NOW = new Date('2026-03-10T05:00:00Z');
const at = (iso: string) => new Date(iso);

const db = testPool();
afterAll(() => db.end());

function principal(userId: string): Principal {
	return { kind: 'session', userId, email: 'x@example.test', name: 'X', locale: 'en', credentialId: 's', workspaceId: null };
}

async function addMember(db: Queryable, workspaceId: string, name: string, role: 'agent' | 'supervisor'): Promise<string> {
	const { rows } = await db.query(`insert into users (email, name, password_hash) values ($1, $2, 'x') returning id`, [uniqueEmail(name), name]);
	await db.query('insert into memberships (workspace_id, user_id, role) values ($1, $2, $3)', [workspaceId, rows[0].id, role]);
	return rows[0].id;
}

async function addConnection(db: Queryable, workspaceId: string, platform: string): Promise<string> {
	const { rows } = await db.query(
		`insert into platform_connections (workspace_id, platform, name, external_id) values ($1, $2, $3, $4) returning id`,
		[workspaceId, platform, `${platform} shop`, crypto.randomUUID()]
	);
	return rows[0].id;
}

interface Msg {
	at: string;
	from: 'customer' | 'agent' | 'ai';
	authorId?: string;
	failed?: boolean;
}

interface Conv {
	workspaceId: string;
	connectionId: string;
	platform: string;
	createdAt: string;
	status?: 'open' | 'pending' | 'snoozed' | 'resolved';
	assigneeId?: string | null;
	messages: Msg[];
}

async function addConversation(db: Queryable, c: Conv): Promise<string> {
	const contact = await db.query(`insert into contacts (workspace_id, display_name) values ($1, 'Customer') returning id`, [c.workspaceId]);
	const ext = crypto.randomUUID();
	const identity = await db.query(
		`insert into contact_identities (workspace_id, contact_id, connection_id, platform, external_id) values ($1, $2, $3, $4, $5) returning id`,
		[c.workspaceId, contact.rows[0].id, c.connectionId, c.platform, ext]
	);
	const conv = await db.query(
		`insert into conversations (workspace_id, connection_id, contact_id, contact_identity_id, platform, external_thread_id, status, assignee_id, created_at)
		 values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
		[c.workspaceId, c.connectionId, contact.rows[0].id, identity.rows[0].id, c.platform, ext, c.status ?? 'open', c.assigneeId ?? null, at(c.createdAt)]
	);
	for (const m of c.messages) {
		await db.query(
			`insert into messages (workspace_id, conversation_id, connection_id, platform_message_id, direction, sender_type, author_id, body, delivery_state, sent_at)
			 values ($1, $2, $3, $4, $5, $6, $7, 'text', $8, $9)`,
			[
				c.workspaceId,
				conv.rows[0].id,
				c.connectionId,
				crypto.randomUUID(),
				m.from === 'customer' ? 'in' : 'out',
				m.from,
				m.authorId ?? null,
				m.from === 'customer' ? null : m.failed ? 'failed' : 'sent',
				at(m.at)
			]
		);
	}
	return conv.rows[0].id;
}

async function resolve(db: Queryable, workspaceId: string, conversationId: string, actorId: string, when: string) {
	await db.query(
		`insert into conversation_events (workspace_id, conversation_id, actor_id, kind, data, created_at) values ($1, $2, $3, 'status', $4, $5)`,
		[workspaceId, conversationId, actorId, JSON.stringify({ from: 'open', to: 'resolved' }), at(when)]
	);
}

async function note(db: Queryable, workspaceId: string, conversationId: string, authorId: string, when: string) {
	await db.query(`insert into notes (workspace_id, conversation_id, author_id, body, created_at) values ($1, $2, $3, 'note', $4)`, [
		workspaceId,
		conversationId,
		authorId,
		at(when)
	]);
}

let scope: WorkspaceScope;
let somchai: string;
let noi: string;
let owner: string;

beforeAll(async () => {
	const ws = await seedWorkspace(db); // Asia/Bangkok by default, with a LINE connection
	owner = ws.userId;
	somchai = await addMember(db, ws.workspaceId, 'Somchai', 'agent');
	noi = await addMember(db, ws.workspaceId, 'Noi', 'agent');
	await addMember(db, ws.workspaceId, 'Malee', 'supervisor');
	const facebook = await addConnection(db, ws.workspaceId, 'facebook');
	const line = { workspaceId: ws.workspaceId, connectionId: ws.connectionId, platform: 'line' };
	scope = await scopeFor(db, principal(ws.userId), ws.workspaceId);

	// Today: first responses after 60 s, 120 s and 600 s.
	const c1 = await addConversation(db, {
		...line,
		createdAt: '2026-03-10T01:00:00Z',
		assigneeId: somchai,
		messages: [
			{ at: '2026-03-10T01:00:00Z', from: 'customer' },
			{ at: '2026-03-10T01:01:00Z', from: 'agent', authorId: somchai },
			{ at: '2026-03-10T01:05:00Z', from: 'customer' },
			{ at: '2026-03-10T01:30:00Z', from: 'agent', authorId: somchai }
		]
	});
	const c2 = await addConversation(db, {
		...line,
		createdAt: '2026-03-10T02:00:00Z',
		status: 'resolved',
		messages: [
			{ at: '2026-03-10T02:00:00Z', from: 'customer' },
			{ at: '2026-03-10T02:02:00Z', from: 'agent', authorId: noi }
		]
	});
	await resolve(db, ws.workspaceId, c2, noi, '2026-03-10T03:00:00Z');
	await addConversation(db, {
		workspaceId: ws.workspaceId,
		connectionId: facebook,
		platform: 'facebook',
		createdAt: '2026-03-10T03:00:00Z',
		status: 'pending',
		messages: [
			{ at: '2026-03-10T03:00:00Z', from: 'customer' },
			// A reply that failed to reach the customer is no response.
			{ at: '2026-03-10T03:05:00Z', from: 'agent', authorId: noi, failed: true },
			{ at: '2026-03-10T03:10:00Z', from: 'agent', authorId: somchai }
		]
	});
	// Waiting for a first reply.
	await addConversation(db, { ...line, createdAt: '2026-03-10T04:00:00Z', messages: [{ at: '2026-03-10T04:00:00Z', from: 'customer' }] });
	// 23:59:59 on 9 March in Bangkok, then 23:30 UTC — already 06:30 on 10 March in Bangkok.
	await addConversation(db, {
		...line,
		createdAt: '2026-03-09T16:59:59Z',
		messages: [
			{ at: '2026-03-09T16:59:59Z', from: 'customer' },
			{ at: '2026-03-09T23:30:00Z', from: 'customer' }
		]
	});
	// A minute before the 7-day period began (00:00 on 4 March in Bangkok): only in 30 days.
	await addConversation(db, {
		...line,
		createdAt: '2026-03-03T16:59:00Z',
		status: 'snoozed',
		messages: [
			{ at: '2026-03-03T16:59:00Z', from: 'customer' },
			{ at: '2026-03-03T16:59:30Z', from: 'ai' }
		]
	});
	await note(db, ws.workspaceId, c1, somchai, '2026-03-10T01:02:00Z');
	await note(db, ws.workspaceId, c1, somchai, '2026-03-10T01:03:00Z');
	await note(db, ws.workspaceId, c1, noi, '2026-03-01T01:03:00Z');
	await note(db, ws.workspaceId, c1, owner, '2026-03-01T01:03:00Z');

	// Another shop, busy at the same times: none of it may ever be counted.
	const other = await seedWorkspace(db);
	const stranger = await addMember(db, other.workspaceId, 'Stranger', 'agent');
	const foreign = await addConversation(db, {
		workspaceId: other.workspaceId,
		connectionId: other.connectionId,
		platform: 'line',
		createdAt: '2026-03-10T01:00:00Z',
		assigneeId: somchai,
		messages: [
			{ at: '2026-03-10T01:00:00Z', from: 'customer' },
			{ at: '2026-03-10T01:00:01Z', from: 'agent', authorId: somchai },
			{ at: '2026-03-10T01:00:02Z', from: 'agent', authorId: stranger }
		]
	});
	await resolve(db, other.workspaceId, foreign, noi, '2026-03-10T02:00:00Z');
	await note(db, other.workspaceId, foreign, somchai, '2026-03-10T02:00:00Z');
});

describe('the overview report', () => {
	it('gives the exact median and 90th percentile of today’s first responses', async () => {
		const report = await overviewReport(db, scope, { period: 'today', now: NOW });
		// 60, 120 and 600 seconds: the failed reply at 300 s does not count.
		expect(report.firstResponse).toEqual({ count: 3, medianSeconds: 120, p90Seconds: 504 });
		expect(report.resolution).toEqual({ medianSeconds: 3600 });
	});

	it('counts today in Bangkok time, from local midnight to now', async () => {
		const report = await overviewReport(db, scope, { period: 'today', now: NOW });
		expect(report.period).toEqual({ key: 'today', from: '2026-03-09T17:00:00.000Z', to: NOW.toISOString(), timeZone: 'Asia/Bangkok', bucket: 'hour' });
		expect(report.totals).toEqual({
			newConversations: 4,
			open: 3,
			pending: 1,
			snoozed: 1,
			unassignedOpen: 2,
			resolved: 1,
			// The message at 23:30 UTC is today's; the one at 23:59:59 Bangkok time is yesterday's.
			customerMessages: 6,
			repliesSent: 4
		});
	});

	it('puts each message in its Bangkok hour', async () => {
		const report = await overviewReport(db, scope, { period: 'today', now: NOW });
		expect(report.series).toHaveLength(24);
		expect(report.series[0].start).toBe('2026-03-09T17:00:00.000Z');
		const busy = report.series
			.map((p, hour) => ({ hour, ...p }))
			.filter((p) => p.customerMessages > 0 || p.firstResponses > 0)
			.map(({ hour, customerMessages, firstResponses, firstResponseMedianSeconds }) => ({ hour, customerMessages, firstResponses, firstResponseMedianSeconds }));
		expect(busy).toEqual([
			{ hour: 6, customerMessages: 1, firstResponses: 0, firstResponseMedianSeconds: null },
			{ hour: 8, customerMessages: 2, firstResponses: 1, firstResponseMedianSeconds: 60 },
			{ hour: 9, customerMessages: 1, firstResponses: 1, firstResponseMedianSeconds: 120 },
			{ hour: 10, customerMessages: 1, firstResponses: 1, firstResponseMedianSeconds: 600 },
			{ hour: 11, customerMessages: 1, firstResponses: 0, firstResponseMedianSeconds: null }
		]);
	});

	it('starts 7 days at midnight six days ago in Bangkok, with one point per day', async () => {
		const report = await overviewReport(db, scope, { period: '7d', now: NOW });
		expect(report.period.from).toBe('2026-03-03T17:00:00.000Z');
		expect(report.series.map((p) => p.start)).toEqual([3, 4, 5, 6, 7, 8, 9].map((d) => `2026-03-0${d}T17:00:00.000Z`));
		expect(report.series.map((p) => p.customerMessages)).toEqual([0, 0, 0, 0, 0, 1, 6]);
		expect(report.totals.newConversations).toBe(5);
		expect(report.totals.customerMessages).toBe(7);
		expect(report.firstResponse).toEqual({ count: 3, medianSeconds: 120, p90Seconds: 504 });
	});

	it('takes in the older conversation over 30 days', async () => {
		const report = await overviewReport(db, scope, { period: '30d', now: NOW });
		expect(report.series).toHaveLength(30);
		expect(report.totals.newConversations).toBe(6);
		expect(report.totals.customerMessages).toBe(8);
		expect(report.totals.repliesSent).toBe(5);
		// 30, 60, 120 and 600 seconds.
		expect(report.firstResponse).toEqual({ count: 4, medianSeconds: 90, p90Seconds: 456 });
	});

	it('shows each agent’s workload and speed, and leaves out a supervisor with nothing to show', async () => {
		const report = await overviewReport(db, scope, { period: 'today', now: NOW });
		expect(report.agents.map(({ name, role, openAssigned, repliesSent, resolved, firstResponseMedianSeconds, notes }) => ({ name, role, openAssigned, repliesSent, resolved, firstResponseMedianSeconds, notes }))).toEqual([
			{ name: 'Somchai', role: 'agent', openAssigned: 1, repliesSent: 3, resolved: 0, firstResponseMedianSeconds: 330, notes: 2 },
			{ name: 'Noi', role: 'agent', openAssigned: 0, repliesSent: 1, resolved: 1, firstResponseMedianSeconds: 120, notes: 0 },
			{ name: 'Owner', role: 'owner', openAssigned: 0, repliesSent: 0, resolved: 0, firstResponseMedianSeconds: null, notes: 0 }
		]);
		const month = await overviewReport(db, scope, { period: '30d', now: NOW });
		expect(month.agents.find((a) => a.name === 'Noi')?.notes).toBe(1);
	});

	it('breaks the figures down by platform', async () => {
		const report = await overviewReport(db, scope, { period: 'today', now: NOW });
		expect(report.platforms).toEqual([
			{ platform: 'line', conversations: 3, customerMessages: 5, firstResponseMedianSeconds: 90 },
			{ platform: 'facebook', conversations: 1, customerMessages: 1, firstResponseMedianSeconds: 600 }
		]);
	});

	it('uses the workspace’s own time zone when it has one', async () => {
		const ws = await seedWorkspace(db);
		await db.query(`update workspaces set time_zone = 'UTC' where id = $1`, [ws.workspaceId]);
		await addConversation(db, {
			workspaceId: ws.workspaceId,
			connectionId: ws.connectionId,
			platform: 'line',
			createdAt: '2026-03-09T23:30:00Z',
			messages: [{ at: '2026-03-09T23:30:00Z', from: 'customer' }]
		});
		const utc = await overviewReport(db, await scopeFor(db, principal(ws.userId), ws.workspaceId), { period: 'today', now: NOW });
		expect(utc.period.from).toBe('2026-03-10T00:00:00.000Z');
		expect(utc.totals.customerMessages).toBe(0);
		expect(utc.agents.map((a) => a.name)).toEqual(['Owner']);
	});
});

describe('GET /api/v1/reports/overview', () => {
	let app: RunningApp;
	beforeAll(async () => {
		app = await startTestApp();
	});
	afterAll(() => app.close());

	async function signUp() {
		const client = new Client(app.url);
		const res = await client.post('/api/v1/auth/signup', { email: uniqueEmail('reports'), password: 'correct horse battery', name: 'Nok', workspaceName: 'Nok Shop' });
		expect(res.status).toBe(201);
		return { client, workspaceId: res.json.workspace.id as string };
	}

	it('answers the figures of the caller’s workspace for the period asked', async () => {
		const { client, workspaceId } = await signUp();
		const res = await client.get(`/api/v1/reports/overview?period=30d&workspace=${workspaceId}`);
		expect(res.status).toBe(200);
		expect(res.json.period).toMatchObject({ key: '30d', timeZone: 'Asia/Bangkok', bucket: 'day' });
		expect(res.json.series).toHaveLength(30);
		expect(res.json.totals.newConversations).toBe(0);
		expect(res.json.agents).toEqual([expect.objectContaining({ name: 'Nok', role: 'owner', repliesSent: 0 })]);
	});

	it('answers 404 for a workspace the caller is not a member of', async () => {
		const { client } = await signUp();
		const stranger = await signUp();
		const res = await client.get(`/api/v1/reports/overview?period=7d&workspace=${stranger.workspaceId}`);
		expect(res.status).toBe(404);
		expect(res.json.error.code).toBe('not_found');
	});

	it('refuses an unknown period and an anonymous caller', async () => {
		const { client, workspaceId } = await signUp();
		const bad = await client.get(`/api/v1/reports/overview?period=1y&workspace=${workspaceId}`);
		expect(bad.status).toBe(400);
		expect(bad.json.error.code).toBe('invalid_input');
		expect((await new Client(app.url).get('/api/v1/reports/overview')).status).toBe(401);
	});
});

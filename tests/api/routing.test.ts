import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { seedConversation, seedWorkspace } from '../helpers/seed.ts';
import { routeAll, routeWorkspace, setAway, updateRoutingSettings } from '../../src/lib/server/routing.ts';
import { setBusinessHours, setHolidays } from '../../src/lib/server/business-hours.ts';
import { scopeFor, type WorkspaceScope } from '../../src/lib/server/scope.ts';
import type { Principal } from '../../src/lib/server/auth/principal.ts';
import type { CommandDeps } from '../../src/lib/server/commands/actor.ts';
import type { LiveMetaPatch } from '../../src/lib/server/ports.ts';
import { createSession } from '../../src/lib/server/auth/session.ts';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';

/**
 * Auto-assignment against the real PostgreSQL: who gets what, in which order, and what the
 * conversation's history says. Presence is handed in (the collab registry fills it in the app).
 */

const db = testPool();
afterAll(() => db.end());

const mirrored: { conversationId: string; patch: LiveMetaPatch }[] = [];
const deps: CommandDeps = {
	db,
	live: {
		setMeta: async (_workspaceId, conversationId, patch) => {
			mirrored.push({ conversationId, patch });
		},
		appendNote: async () => undefined
	}
};

function principal(userId: string): Principal {
	return { kind: 'session', userId, email: 'x@example.test', name: 'X', locale: 'en', credentialId: 's', workspaceId: null };
}

interface Shop {
	ws: Awaited<ReturnType<typeof seedWorkspace>>;
	owner: WorkspaceScope;
	/** Agents in id order (round-robin's order). */
	agents: string[];
}

async function shop(agentCount = 3): Promise<Shop> {
	const ws = await seedWorkspace(db);
	const agents: string[] = [];
	for (let i = 0; i < agentCount; i++) {
		const { rows } = await db.query(`insert into users (email, name, password_hash) values ($1, $2, 'x') returning id`, [uniqueEmail('agent'), `Agent ${i}`]);
		await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, 'agent')`, [ws.workspaceId, rows[0].id]);
		agents.push(rows[0].id);
	}
	agents.sort();
	return { ws, owner: await scopeFor(db, principal(ws.userId), ws.workspaceId), agents };
}

async function waiting(s: Shop, n: number): Promise<string[]> {
	const ids: string[] = [];
	for (let i = 0; i < n; i++) {
		ids.push(await seedConversation(db, s.ws, { customer: `Customer ${i}`, messages: ['สวัสดีค่ะ'] }));
		// Distinct creation times: the oldest waiting conversation goes first.
		await db.query(`update conversations set created_at = now() - make_interval(secs => $2) where id = $1`, [ids[i], 1000 - i]);
	}
	return ids;
}

async function assigneeOf(id: string): Promise<string | null> {
	const { rows } = await db.query('select assignee_id from conversations where id = $1', [id]);
	return rows[0].assignee_id;
}

beforeEach(() => {
	mirrored.length = 0;
});

describe('auto-assignment', () => {
	it('does nothing while it is off, which is the default', async () => {
		const s = await shop();
		const [id] = await waiting(s, 1);
		expect(await routeWorkspace(deps, s.ws.workspaceId, new Set(s.agents))).toEqual([]);
		expect(await routeAll(deps, { online: () => new Set(s.agents) })).toBe(0);
		expect(await assigneeOf(id)).toBeNull();
	});

	it('gives each online agent a conversation in turn, and continues the turn in the next round', async () => {
		const s = await shop(3);
		await updateRoutingSettings(db, s.owner, { mode: 'round_robin', reofferMinutes: null, businessHoursOnly: false });
		const ids = await waiting(s, 4);
		const done = await routeWorkspace(deps, s.ws.workspaceId, new Set(s.agents));
		expect(done.map((d) => d.assigneeId)).toEqual([s.agents[0], s.agents[1], s.agents[2], s.agents[0]]);
		expect(await Promise.all(ids.map(assigneeOf))).toEqual([s.agents[0], s.agents[1], s.agents[2], s.agents[0]]);
		const [next] = await waiting(s, 1);
		await routeWorkspace(deps, s.ws.workspaceId, new Set(s.agents));
		expect(await assigneeOf(next)).toBe(s.agents[1]);
		expect(mirrored.map((m) => m.patch.assigneeId)).toContain(s.agents[1]);
	});

	it('gives the conversation to the agent with the fewest open conversations', async () => {
		const s = await shop(3);
		await updateRoutingSettings(db, s.owner, { mode: 'least_loaded', reofferMinutes: null, businessHoursOnly: false });
		// agents[0] has two open conversations, agents[1] one, agents[2] none.
		for (const [agent, count] of [
			[s.agents[0], 2],
			[s.agents[1], 1]
		] as const) {
			for (let i = 0; i < count; i++) await seedConversation(db, s.ws, { customer: 'Busy', assigneeId: agent });
		}
		const ids = await waiting(s, 3);
		await routeWorkspace(deps, s.ws.workspaceId, new Set(s.agents));
		// agents[2] (0) → 1; then agents[1] and agents[2] tie at 1 and share in turn; all end at 2.
		expect(await Promise.all(ids.map(assigneeOf))).toEqual([s.agents[2], s.agents[1], s.agents[2]]);
	});

	it('respects each agent’s capacity and leaves the rest waiting', async () => {
		const s = await shop(2);
		await updateRoutingSettings(db, s.owner, { mode: 'round_robin', reofferMinutes: null, businessHoursOnly: false });
		await db.query('update memberships set max_open_conversations = 1 where workspace_id = $1 and user_id = any($2::uuid[])', [s.ws.workspaceId, s.agents]);
		await seedConversation(db, s.ws, { customer: 'Already mine', assigneeId: s.agents[0] });
		const ids = await waiting(s, 3);
		await routeWorkspace(deps, s.ws.workspaceId, new Set(s.agents));
		expect(await Promise.all(ids.map(assigneeOf))).toEqual([s.agents[1], null, null]);
	});

	it('skips agents who are away or offline', async () => {
		const s = await shop(3);
		await updateRoutingSettings(db, s.owner, { mode: 'round_robin', reofferMinutes: null, businessHoursOnly: false });
		await setAway(db, await scopeFor(db, principal(s.agents[0]), s.ws.workspaceId), true);
		const ids = await waiting(s, 3);
		// agents[2] is not connected.
		await routeWorkspace(deps, s.ws.workspaceId, new Set([s.agents[0], s.agents[1]]));
		expect(await Promise.all(ids.map(assigneeOf))).toEqual([s.agents[1], s.agents[1], s.agents[1]]);
		await setAway(db, await scopeFor(db, principal(s.agents[0]), s.ws.workspaceId), false);
		const [back] = await waiting(s, 1);
		await routeWorkspace(deps, s.ws.workspaceId, new Set([s.agents[0], s.agents[1]]));
		expect(await assigneeOf(back)).toBe(s.agents[0]);
	});

	it('records why in the conversation history, as the system', async () => {
		const s = await shop(1);
		await updateRoutingSettings(db, s.owner, { mode: 'least_loaded', reofferMinutes: null, businessHoursOnly: false });
		const [id] = await waiting(s, 1);
		await routeWorkspace(deps, s.ws.workspaceId, new Set(s.agents));
		const { rows } = await db.query(`select actor_id, data from conversation_events where conversation_id = $1 and kind = 'assignee'`, [id]);
		expect(rows).toEqual([{ actor_id: null, data: { from: null, to: s.agents[0], reason: 'routing:least_loaded' } }]);
		const told = await db.query(`select 1 from notifications where user_id = $1 and conversation_id = $2 and kind = 'assigned'`, [s.agents[0], id]);
		expect(told.rowCount).toBe(1);
	});

	it('offers a conversation to the next agent when the first has not answered within N minutes', async () => {
		const s = await shop(2);
		await updateRoutingSettings(db, s.owner, { mode: 'round_robin', reofferMinutes: 10, businessHoursOnly: false });
		const [quiet, answered] = await waiting(s, 2);
		const online = new Set(s.agents);
		await routeWorkspace(deps, s.ws.workspaceId, online);
		expect([await assigneeOf(quiet), await assigneeOf(answered)]).toEqual([s.agents[0], s.agents[1]]);
		await db.query(
			`insert into messages (workspace_id, conversation_id, connection_id, direction, sender_type, author_id, body, delivery_state, sent_at)
			 values ($1, $2, $3, 'out', 'agent', $4, 'ได้เลยค่ะ', 'sent', now() + interval '1 minute')`,
			[s.ws.workspaceId, answered, s.ws.connectionId, s.agents[1]]
		);
		// Nine minutes on, nothing moves; eleven minutes on, the unanswered one goes to the other agent.
		const at = (minutes: number) => new Date(Date.now() + minutes * 60_000);
		expect(await routeWorkspace(deps, s.ws.workspaceId, online, at(9))).toEqual([]);
		const moved = await routeWorkspace(deps, s.ws.workspaceId, online, at(11));
		expect(moved).toEqual([{ conversationId: quiet, assigneeId: s.agents[1], reason: 'routing:reoffer' }]);
		expect(await assigneeOf(answered)).toBe(s.agents[1]);
	});

	it('never takes back a conversation a member assigned by hand', async () => {
		const s = await shop(2);
		await updateRoutingSettings(db, s.owner, { mode: 'round_robin', reofferMinutes: 1, businessHoursOnly: false });
		const handPicked = await seedConversation(db, s.ws, { customer: 'Hand picked', assigneeId: s.agents[0] });
		await routeWorkspace(deps, s.ws.workspaceId, new Set(s.agents), new Date(Date.now() + 3_600_000));
		expect(await assigneeOf(handPicked)).toBe(s.agents[0]);
	});

	it('routes only within business hours when asked, in the workspace’s time zone', async () => {
		const s = await shop(1);
		await updateRoutingSettings(db, s.owner, { mode: 'round_robin', reofferMinutes: null, businessHoursOnly: true });
		await db.query(`update workspaces set time_zone = 'Asia/Bangkok' where id = $1`, [s.ws.workspaceId]);
		// Monday to Friday, 09:00–18:00 Bangkok time.
		await setBusinessHours(db, s.owner, [1, 2, 3, 4, 5].map((weekday) => ({ weekday, opens: '09:00', closes: '18:00' })));
		const [id] = await waiting(s, 1);
		// Wednesday 2026-03-11 08:59 and 18:00 Bangkok are closed; 09:00 is open.
		expect(await routeWorkspace(deps, s.ws.workspaceId, new Set(s.agents), new Date('2026-03-11T08:59:00+07:00'))).toEqual([]);
		expect(await routeWorkspace(deps, s.ws.workspaceId, new Set(s.agents), new Date('2026-03-11T18:00:00+07:00'))).toEqual([]);
		// Saturday is closed all day.
		expect(await routeWorkspace(deps, s.ws.workspaceId, new Set(s.agents), new Date('2026-03-14T12:00:00+07:00'))).toEqual([]);
		// A holiday closes a working day, by the date in Bangkok (09:30 there is 02:30 UTC, the same date).
		await setHolidays(db, s.owner, ['2026-03-11']);
		expect(await routeWorkspace(deps, s.ws.workspaceId, new Set(s.agents), new Date('2026-03-11T09:30:00+07:00'))).toEqual([]);
		await setHolidays(db, s.owner, ['2026-03-10']);
		await routeWorkspace(deps, s.ws.workspaceId, new Set(s.agents), new Date('2026-03-11T09:00:00+07:00'));
		expect(await assigneeOf(id)).toBe(s.agents[0]);
	});
});

describe('the routing API', () => {
	let app: RunningApp | undefined;
	afterAll(async () => {
		await app?.close();
	});

	it('lets owners turn it on and set capacity and hours, lets anyone pause themselves, and refuses an agent the settings', async () => {
		app = await startTestApp({ CHATMAI_WORKERS: 'false' });
		const s = await shop(1);
		const headers = { 'x-workspace-id': s.ws.workspaceId };
		const owner = new Client(app.url);
		owner.bearer = (await createSession(db, s.ws.userId, s.ws.workspaceId)).token;
		const agent = new Client(app.url);
		agent.bearer = (await createSession(db, s.agents[0], s.ws.workspaceId)).token;

		const fresh = await agent.get('/api/v1/routing', headers);
		expect(fresh.status).toBe(200);
		expect(fresh.json.settings).toEqual({ mode: 'off', reofferMinutes: null, businessHoursOnly: false });

		const on = { mode: 'least_loaded', reofferMinutes: 15, businessHoursOnly: true };
		expect((await agent.request('PUT', '/api/v1/routing', on, headers)).status).toBe(403);
		expect((await owner.request('PUT', '/api/v1/routing', { ...on, mode: 'fastest' }, headers)).status).toBe(400);
		expect((await owner.request('PUT', '/api/v1/routing', on, headers)).json).toEqual({ settings: on });

		expect((await owner.request('PUT', `/api/v1/routing/capacity/${s.agents[0]}`, { maxOpenConversations: 5 }, headers)).status).toBe(200);
		expect((await owner.request('PUT', `/api/v1/routing/capacity/${s.agents[0]}`, { maxOpenConversations: 0 }, headers)).status).toBe(400);
		const hours = [{ weekday: 1, opens: '09:00', closes: '18:00' }];
		expect((await owner.request('PUT', '/api/v1/routing/hours', hours, headers)).json).toEqual({ hours });
		expect((await owner.request('PUT', '/api/v1/routing/hours', [{ weekday: 1, opens: '18:00', closes: '09:00' }], headers)).status).toBe(400);
		expect((await owner.request('PUT', '/api/v1/routing/holidays', ['2026-04-14', '2026-04-13'], headers)).json).toEqual({ holidays: ['2026-04-13', '2026-04-14'] });
		expect((await owner.request('PUT', '/api/v1/routing/holidays', ['2026-02-30'], headers)).status).toBe(400);

		expect((await agent.request('PUT', '/api/v1/me/away', { away: true }, headers)).json).toEqual({ away: true });
		const after = await owner.get('/api/v1/routing', headers);
		expect(after.json.settings).toEqual(on);
		expect(after.json.hours).toEqual(hours);
		expect(after.json.holidays).toEqual(['2026-04-13', '2026-04-14']);
		expect(after.json.members.find((m: { userId: string }) => m.userId === s.agents[0])).toMatchObject({ maxOpenConversations: 5, away: true, openConversations: 0 });
	});
});

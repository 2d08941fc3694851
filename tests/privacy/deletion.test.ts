import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool } from '../helpers/db.ts';
import { eventually, join, PASSWORD, rowsPerTable, seedWorkspace, signUp, startRevokeRecorder } from './fixtures.ts';

let app: RunningApp;
const db = testPool();

beforeAll(async () => {
	app = await startTestApp();
});
afterAll(async () => {
	await app.close();
	await db.end();
});

const gone = (workspaceId: string) => async () => (await db.query('select 1 from workspaces where id = $1', [workspaceId])).rowCount === 0;

describe('deleting a workspace', () => {
	it('asks the owner to type the workspace name and refuses admins', async () => {
		const owner = await signUp(app.url);
		const admin = await signUp(app.url, 'admin');
		await join(db, owner, admin, 'admin');
		const header = { 'x-workspace-id': owner.workspaceId };
		const wrong = await owner.client.request('DELETE', '/api/v1/workspace', { confirmName: 'not the name' });
		expect(wrong.status).toBe(400);
		expect(wrong.json.error.code).toBe('name_mismatch');
		expect((await admin.client.request('DELETE', '/api/v1/workspace', { confirmName: owner.workspaceName }, header)).status).toBe(403);
		expect((await db.query('select deletion_requested_at from workspaces where id = $1', [owner.workspaceId])).rows[0].deletion_requested_at).toBeNull();
	});

	it('removes every row of every table that carries its id, and nothing of another workspace', async () => {
		const owner = await signUp(app.url);
		const agent = await signUp(app.url, 'agent');
		const bystander = await signUp(app.url, 'bystander');
		await join(db, owner, agent, 'agent');
		await join(db, bystander, agent, 'agent');
		const line = await startRevokeRecorder();
		const seeded = await seedWorkspace(db, app.services.keyRing, owner.workspaceId, agent.userId, [1, 2, 400], line.baseUrl);
		await seedWorkspace(db, app.services.keyRing, bystander.workspaceId, agent.userId, [1, 2]);
		await owner.client.post('/api/v1/tokens', { name: 'script' });
		await owner.client.post('/api/v1/invitations', { role: 'agent' });
		await agent.client.get('/api/v1/me', { 'x-workspace-id': owner.workspaceId });
		await db.query('update sessions set workspace_id = $1 where user_id = $2', [owner.workspaceId, agent.userId]);
		const before = await rowsPerTable(db, owner.workspaceId);
		expect(before.messages).toBe(3);
		expect(before.platform_credentials).toBe(1);
		const bystanderBefore = await rowsPerTable(db, bystander.workspaceId);

		const res = await owner.client.request('DELETE', '/api/v1/workspace', { confirmName: owner.workspaceName });
		expect(res.status).toBe(202);
		// Closed at once: the token revoked on the platform, no credentials, no access.
		await line.close();
		expect(line.revoked).toEqual([`token-${seeded.marker}`]);
		expect((await db.query('select 1 from platform_credentials where workspace_id = $1', [owner.workspaceId])).rowCount).toBe(0);
		expect((await agent.client.get('/api/v1/members', { 'x-workspace-id': owner.workspaceId })).status).toBe(404);
		await eventually(gone(owner.workspaceId));

		const after = await rowsPerTable(db, owner.workspaceId);
		expect(Object.entries(after).filter(([, n]) => n > 0)).toEqual([]);
		expect(Object.keys(after)).toEqual(expect.arrayContaining(['messages', 'audit_log', 'sessions', 'collab_documents', 'inbound_events']));
		expect(await rowsPerTable(db, bystander.workspaceId)).toEqual(bystanderBefore);
		expect((await agent.client.get('/api/v1/me')).status).toBe(200);
		const trail = await db.query(`select action from audit_log where workspace_id is null and target_id = $1 order by id`, [owner.workspaceId]);
		expect(trail.rows.map((r) => r.action)).toEqual(['workspace.deletion_requested', 'workspace.purged']);
	});
});

describe('deleting an account', () => {
	it('signs the user out everywhere, removes their tokens and memberships, and they cannot log in again', async () => {
		const owner = await signUp(app.url);
		const agent = await signUp(app.url, 'agent');
		await join(db, owner, agent, 'agent');
		const seeded = await seedWorkspace(db, app.services.keyRing, owner.workspaceId, agent.userId);
		const token = (await agent.client.post('/api/v1/tokens', { name: 'mine' }, { 'x-workspace-id': owner.workspaceId })).json.token;
		const secondDevice = new Client(app.url);
		await secondDevice.post('/api/v1/auth/login', { email: agent.email, password: PASSWORD });

		const wrong = await agent.client.request('DELETE', '/api/v1/account', { password: 'not my password' });
		expect(wrong.status).toBe(401);
		const res = await agent.client.request('DELETE', '/api/v1/account', { password: PASSWORD });
		expect(res.status).toBe(200);
		expect(res.json.deletedWorkspaces).toEqual([agent.workspaceId]);

		for (const table of ['sessions', 'api_tokens', 'memberships']) {
			expect((await db.query(`select 1 from ${table} where user_id = $1`, [agent.userId])).rowCount, table).toBe(0);
		}
		expect((await db.query('select 1 from users where id = $1', [agent.userId])).rowCount).toBe(0);
		expect((await secondDevice.get('/api/v1/me')).status).toBe(401);
		const script = new Client(app.url);
		script.bearer = token;
		expect((await script.get('/api/v1/me')).status).toBe(401);
		expect((await new Client(app.url).post('/api/v1/auth/login', { email: agent.email, password: PASSWORD })).status).toBe(401);
		// What they wrote for the team stays with the team, unsigned.
		const kept = await db.query('select author_id from notes where conversation_id = $1', [seeded.conversationId]);
		expect(kept.rows).toEqual([{ author_id: null }]);
		// Their own workspace, where they were alone, goes with them.
		await eventually(gone(agent.workspaceId));
		expect((await owner.client.get('/api/v1/audit')).json.entries.map((e: { action: string }) => e.action)).toContain('member.account_deleted');
	});

	it('refuses while the user is the only owner of a workspace with other members', async () => {
		const owner = await signUp(app.url);
		const agent = await signUp(app.url, 'agent');
		await join(db, owner, agent, 'agent');
		const res = await owner.client.request('DELETE', '/api/v1/account', { password: PASSWORD });
		expect(res.status).toBe(409);
		expect(res.json.error.code).toBe('sole_owner');
		expect(res.json.error.details.workspaces).toEqual([{ id: owner.workspaceId, name: owner.workspaceName }]);
		expect((await owner.client.get('/api/v1/me')).status).toBe(200);

		await owner.client.request('PATCH', `/api/v1/members/${agent.userId}`, { role: 'owner' });
		expect((await owner.client.request('DELETE', '/api/v1/account', { password: PASSWORD })).status).toBe(200);
		expect((await db.query('select 1 from workspaces where id = $1', [owner.workspaceId])).rowCount).toBe(1);
	});

	it('cannot be done with an API token', async () => {
		const owner = await signUp(app.url);
		const script = new Client(app.url);
		script.bearer = (await owner.client.post('/api/v1/tokens', { name: 'script' })).json.token;
		const res = await script.request('DELETE', '/api/v1/account', { password: PASSWORD });
		expect(res.status).toBe(403);
		expect((await db.query('select 1 from users where id = $1', [owner.userId])).rowCount).toBe(1);
	});
});

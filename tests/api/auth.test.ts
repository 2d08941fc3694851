import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { RateLimited, throttleLogin } from '../../src/lib/server/auth/throttle.ts';

let app: RunningApp;
const db = testPool();

beforeAll(async () => {
	app = await startTestApp();
});
afterAll(async () => {
	await app.close();
	await db.end();
});

async function signUp(client: Client, email = uniqueEmail()) {
	const res = await client.post('/api/v1/auth/signup', { email, password: 'correct horse battery', name: 'Nok', workspaceName: 'Nok Shop' });
	expect(res.status).toBe(201);
	return { email, ...res.json };
}

describe('accounts over the REST API', () => {
	it('signs up into a workspace of its own as owner and answers /me', async () => {
		const client = new Client(app.url);
		const { workspace } = await signUp(client);
		const me = await client.get('/api/v1/me');
		expect(me.status).toBe(200);
		expect(me.json.workspaceId).toBe(workspace.id);
		expect(me.json.role).toBe('owner');
		expect(me.json.workspaces).toHaveLength(1);
	});

	it('returns the session token in the login body and rotates the session', async () => {
		const client = new Client(app.url);
		const { email } = await signUp(client);
		const before = client.cookie;
		const login = await client.post('/api/v1/auth/login', { email, password: 'correct horse battery' });
		expect(login.status).toBe(200);
		expect(login.json.token).toMatch(/^[a-z2-7]+\.[a-z2-7]+$/);
		expect(client.cookie).not.toBe(before);
		const stale = new Client(app.url);
		stale.cookie = before;
		expect((await stale.get('/api/v1/me')).status).toBe(401);
		const bearer = new Client(app.url);
		bearer.bearer = login.json.token;
		expect((await bearer.get('/api/v1/me')).json.user.email).toBe(email);
	});

	it('answers a wrong password and an unknown e-mail with the same 401', async () => {
		const client = new Client(app.url);
		const { email } = await signUp(client);
		const wrong = await new Client(app.url).post('/api/v1/auth/login', { email, password: 'not the password' });
		const unknown = await new Client(app.url).post('/api/v1/auth/login', { email: uniqueEmail('ghost'), password: 'not the password' });
		expect(wrong.status).toBe(401);
		expect(unknown.status).toBe(401);
		expect(wrong.json).toEqual(unknown.json);
	});

	it('throttles repeated failed logins on one account from one address with 429 after five', async () => {
		const client = new Client(app.url);
		const { email } = await signUp(client);
		const statuses: number[] = [];
		for (let i = 0; i < 12; i++) statuses.push((await new Client(app.url).post('/api/v1/auth/login', { email, password: 'wrong-password' })).status);
		expect(statuses.slice(0, 5).every((s) => s === 401)).toBe(true);
		expect(statuses.at(-1)).toBe(429);
	});

	it('limits log-ins per address as configured (CHATMAI_LOGIN_LIMIT_PER_IP), across accounts', async () => {
		const ip = `203.0.113.${Math.floor(Math.random() * 250)}-${crypto.randomUUID()}`;
		for (let i = 0; i < 3; i++) await throttleLogin(db, ip, uniqueEmail(), 3);
		await expect(throttleLogin(db, ip, uniqueEmail(), 3)).rejects.toBeInstanceOf(RateLimited);
		// The default is 30: the same address is still welcome with room to spare.
		const other = `203.0.113.1-${crypto.randomUUID()}`;
		for (let i = 0; i < 4; i++) await throttleLogin(db, other, uniqueEmail());
	});

	it('logs out: the session stops working', async () => {
		const client = new Client(app.url);
		await signUp(client);
		expect((await client.post('/api/v1/auth/logout')).status).toBe(200);
		const cookieWas = client.cookie;
		const again = new Client(app.url);
		again.cookie = cookieWas;
		expect((await again.get('/api/v1/me')).status).toBe(401);
	});

	it('creates a personal API token shown once and stored only as a hash, and audits it', async () => {
		const client = new Client(app.url);
		const { workspace } = await signUp(client);
		const created = await client.post('/api/v1/tokens', { name: 'zapier' });
		expect(created.status).toBe(201);
		const token: string = created.json.token;
		const scripted = new Client(app.url);
		scripted.bearer = token;
		expect((await scripted.get('/api/v1/me')).json.auth).toBe('api_token');
		const listed = await client.get('/api/v1/tokens');
		expect(JSON.stringify(listed.json)).not.toContain(token);
		const { rows } = await db.query('select token_hash from api_tokens where workspace_id = $1', [workspace.id]);
		expect(rows[0].token_hash).not.toBe(token);
		const audit = await db.query(`select action from audit_log where workspace_id = $1 order by id`, [workspace.id]);
		expect(audit.rows.map((r) => r.action)).toContain('token.created');
	});
});

describe('workspace isolation and roles', () => {
	it("answers 404 for another workspace's id, by header and by API token", async () => {
		const alice = new Client(app.url);
		const bob = new Client(app.url);
		const a = await signUp(alice);
		await signUp(bob);
		const res = await bob.get('/api/v1/members', { 'x-workspace-id': a.workspace.id });
		expect(res.status).toBe(404);
		const token = (await bob.post('/api/v1/tokens', { name: 'b' })).json.token;
		const script = new Client(app.url);
		script.bearer = token;
		expect((await script.get('/api/v1/members', { 'x-workspace-id': a.workspace.id })).status).toBe(404);
	});

	it('lets an invited agent join, forbids agents to manage members, and keeps the last owner', async () => {
		const owner = new Client(app.url);
		const { workspace, user } = await signUp(owner);
		const invite = await owner.post('/api/v1/invitations', { role: 'agent' });
		expect(invite.status).toBe(201);
		const token = new URL(invite.json.url).pathname.split('/').pop()!;

		const agent = new Client(app.url);
		await signUp(agent);
		const { acceptInvitation } = await import('../../src/lib/server/accounts.ts');
		const me = (await agent.get('/api/v1/me')).json.user;
		await acceptInvitation(db, token, me);
		const members = await agent.get('/api/v1/members', { 'x-workspace-id': workspace.id });
		expect(members.status).toBe(200);
		expect(members.json.members.map((m: { role: string }) => m.role).sort()).toEqual(['agent', 'owner']);

		const forbidden = await agent.request('PATCH', `/api/v1/members/${user.id}`, { role: 'agent' }, { 'x-workspace-id': workspace.id });
		expect(forbidden.status).toBe(403);
		const lastOwner = await owner.request('PATCH', `/api/v1/members/${user.id}`, { role: 'admin' }, { 'x-workspace-id': workspace.id });
		expect(lastOwner.status).toBe(409);
		const roles = await db.query(`select action from audit_log where workspace_id = $1`, [workspace.id]);
		expect(roles.rows.map((r) => r.action)).toEqual(expect.arrayContaining(['member.invited', 'member.joined']));
	});
});

describe('bad input', () => {
	it('answers malformed JSON with 400 and a message', async () => {
		const res = await new Client(app.url).post('/api/v1/auth/login', '{"email": ');
		expect(res.status).toBe(400);
		expect(res.json.error.code).toBe('malformed_json');
	});

	it('answers invalid fields with 400 naming them', async () => {
		const res = await new Client(app.url).post('/api/v1/auth/signup', { email: 'not-an-email', password: 'x', name: '' });
		expect(res.status).toBe(400);
		expect(res.json.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['email', 'password', 'name']));
	});

	it('answers an oversize body with 413 and writes nothing', async () => {
		const email = uniqueEmail('big');
		const res = await new Client(app.url).post('/api/v1/auth/signup', { email, password: 'correct horse battery', name: 'x'.repeat(200_000) });
		expect(res.status).toBe(413);
		expect((await db.query('select 1 from users where email = $1', [email])).rowCount).toBe(0);
	});

	it('refuses a cookie-authenticated write from another origin', async () => {
		const client = new Client(app.url);
		await signUp(client);
		const res = await client.post('/api/v1/tokens', { name: 'x' }, { origin: 'https://evil.example' });
		expect(res.status).toBe(403);
	});

	it('answers unknown API paths with a JSON 404', async () => {
		const res = await new Client(app.url).get('/api/v1/nope');
		expect(res.status).toBe(404);
		expect(res.json.error.code).toBe('not_found');
	});
});

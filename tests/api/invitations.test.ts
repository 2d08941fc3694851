import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { th } from '../../src/lib/i18n/th.ts';

const PASSWORD = 'correct horse battery';
let app: RunningApp;
let smtp: TestSmtp;
const db = testPool();

beforeAll(async () => {
	smtp = await startTestSmtp();
	app = await startTestApp({ SMTP_URL: smtp.url, MAIL_FROM: 'ChatMai Test <chatmai@example.test>' });
});
afterAll(async () => {
	await app.close();
	await smtp.close();
	await db.end();
});

async function owner(label = 'owner') {
	const client = new Client(app.url);
	const email = uniqueEmail(label);
	const res = await client.post('/api/v1/auth/signup', { email, password: PASSWORD, name: label, workspaceName: `Shop ${label}` });
	expect(res.status).toBe(201);
	return { client, email, userId: res.json.user.id as string, workspaceId: res.json.workspace.id as string };
}

async function invite(client: Client, body: Record<string, unknown>) {
	const res = await client.post('/api/v1/invitations', body);
	expect(res.status).toBe(201);
	return { token: new URL(res.json.url).pathname.split('/').pop()!, id: res.json.invitation.id as string, json: res.json };
}

const userCount = async (email: string) => (await db.query('select 1 from users where lower(email) = lower($1)', [email])).rowCount;
const workspaceCount = async () => (await db.query('select count(*)::int as n from workspaces')).rows[0].n as number;

/** Verifies an account's address with the link mailed to it. */
async function verifyByMail(email: string) {
	const mail = await smtp.waitFor((m) => m.to.includes(email) && m.link?.includes('/verify-email/') === true);
	const token = mail.link!.split('/verify-email/')[1];
	return new Client(app.url).post('/api/v1/auth/verify-email', { token });
}

describe('signing up from an invitation', () => {
	it('joins the inviting workspace with the invited role and creates no shop of its own', async () => {
		const shop = await owner();
		const { token } = await invite(shop.client, { role: 'agent' });
		const before = await workspaceCount();
		const agent = new Client(app.url);
		const res = await agent.post('/api/v1/auth/signup', { email: uniqueEmail('agent'), password: PASSWORD, name: 'Somsri', invitation: token });
		expect(res.status).toBe(201);
		expect(res.json.workspace).toEqual({ id: shop.workspaceId });
		expect(res.json.invitation).toBe('joined');
		expect(await workspaceCount()).toBe(before);
		const me = await agent.get('/api/v1/me');
		expect(me.json.workspaces).toEqual([expect.objectContaining({ id: shop.workspaceId, role: 'agent' })]);
		expect(me.json.workspaceId).toBe(shop.workspaceId);
	});

	it('refuses a used, revoked or expired invitation with invitation_invalid and creates nothing', async () => {
		const shop = await owner();
		const used = await invite(shop.client, { role: 'agent' });
		expect((await new Client(app.url).post('/api/v1/auth/signup', { email: uniqueEmail(), password: PASSWORD, name: 'First', invitation: used.token })).status).toBe(201);
		const revoked = await invite(shop.client, { role: 'agent' });
		await db.query('update invitations set revoked_at = now() where id = $1', [revoked.id]);
		const expired = await invite(shop.client, { role: 'supervisor' });
		await db.query(`update invitations set expires_at = now() - interval '1 minute' where id = $1`, [expired.id]);
		for (const token of [used.token, revoked.token, expired.token, 'x'.repeat(40)]) {
			const before = await workspaceCount();
			const email = uniqueEmail('late');
			const res = await new Client(app.url).post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Late', invitation: token });
			expect(res.status).toBe(404);
			expect(res.json.error.code).toBe('invitation_invalid');
			expect(await userCount(email)).toBe(0);
			expect(await workspaceCount()).toBe(before);
		}
	});

	it('refuses another address than the invitation is bound to with invitation_email_mismatch', async () => {
		const shop = await owner();
		const { token } = await invite(shop.client, { role: 'agent', email: uniqueEmail('meant') });
		const email = uniqueEmail('other');
		const res = await new Client(app.url).post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Other', invitation: token });
		expect(res.status).toBe(403);
		expect(res.json.error.code).toBe('invitation_email_mismatch');
		expect(await userCount(email)).toBe(0);
	});

	it('joins an invitation bound to the address only once the address is verified by the mailed link', async () => {
		const shop = await owner();
		const email = uniqueEmail('bound');
		const { token } = await invite(shop.client, { role: 'supervisor', email });
		const member = new Client(app.url);
		const res = await member.post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Bound', invitation: token });
		expect(res.status).toBe(201);
		expect(res.json.workspace).toBeNull();
		expect(res.json.invitation).toBe('verify_email');
		expect((await member.get('/api/v1/me')).json.workspaces).toEqual([]);

		const verified = await verifyByMail(email);
		expect(verified.status).toBe(200);
		expect(verified.json.joinedWorkspaceId).toBe(shop.workspaceId);
		const me = await member.get('/api/v1/me');
		expect(me.json.user.emailVerified).toBe(true);
		expect(me.json.workspaces).toEqual([expect.objectContaining({ id: shop.workspaceId, role: 'supervisor' })]);
		// The link was single-use.
		const again = await verifyByMail(email);
		expect(again.status).toBe(400);
		expect(again.json.error.code).toBe('link_invalid');
	});
});

describe('accepting as a signed-in user', () => {
	it('joins the workspace over POST /api/v1/invitations/accept and works there from then on', async () => {
		const shop = await owner();
		const other = await owner('other');
		const { token } = await invite(shop.client, { role: 'agent' });
		const res = await other.client.post('/api/v1/invitations/accept', { token });
		expect(res.status).toBe(200);
		expect(res.json.workspace).toEqual({ id: shop.workspaceId, name: 'Shop owner', role: 'agent' });
		const me = await other.client.get('/api/v1/me');
		expect(me.json.workspaceId).toBe(shop.workspaceId);
		expect(me.json.workspaces.map((w: { id: string }) => w.id).sort()).toEqual([shop.workspaceId, other.workspaceId].sort());
		const twice = await other.client.post('/api/v1/invitations/accept', { token });
		expect(twice.json.error.code).toBe('invitation_invalid');
	});

	it('accepts an invitation bound to an address only from that account, verified', async () => {
		const shop = await owner();
		const bound = await owner('bound');
		const { token } = await invite(shop.client, { role: 'agent', email: bound.email });

		const stranger = await owner('stranger');
		const mismatch = await stranger.client.post('/api/v1/invitations/accept', { token });
		expect(mismatch.status).toBe(403);
		expect(mismatch.json.error.code).toBe('invitation_email_mismatch');

		const unverified = await bound.client.post('/api/v1/invitations/accept', { token });
		expect(unverified.status).toBe(403);
		expect(unverified.json.error.code).toBe('email_unverified');
		const memberships = await db.query('select 1 from memberships where workspace_id = $1 and user_id = $2', [shop.workspaceId, bound.userId]);
		expect(memberships.rowCount).toBe(0);

		expect((await verifyByMail(bound.email)).status).toBe(200);
		const accepted = await bound.client.post('/api/v1/invitations/accept', { token });
		expect(accepted.status).toBe(200);
		expect(accepted.json.workspace.role).toBe('agent');
	});

	it('refuses to accept with an API token, since a token belongs to one workspace', async () => {
		const shop = await owner();
		const other = await owner('scripted');
		const { token } = await invite(shop.client, { role: 'agent' });
		const script = new Client(app.url);
		script.bearer = (await other.client.post('/api/v1/tokens', { name: 'script' })).json.token;
		const res = await script.post('/api/v1/invitations/accept', { token });
		expect(res.status).toBe(403);
	});
});

describe('invitation e-mail', () => {
	it('mails an invitation bound to an address in the language the inviter chose, with the link', async () => {
		const shop = await owner();
		const email = uniqueEmail('thai');
		const created = await invite(shop.client, { role: 'agent', email, locale: 'th' });
		expect(created.json.mail).toBe('sent');
		const mail = await smtp.waitFor((m) => m.to.includes(email));
		expect(mail.subject).toContain('Shop owner');
		expect(mail.subject).toContain('เชิญคุณเข้าร่วม');
		expect(mail.text).toContain(`ในบทบาท ${th['role.agent']}`);
		expect(mail.html).toContain(`href="${created.json.url}"`);
		expect(mail.link).toBe(created.json.url);
		expect(mail.from).toBe('chatmai@example.test');
	});
});

describe('the right shop after login', () => {
	it('opens the workspace the user last opened, else the only one', async () => {
		const shop = await owner();
		const member = await owner('member');
		const { token } = await invite(shop.client, { role: 'agent' });
		expect((await member.client.post('/api/v1/invitations/accept', { token })).status).toBe(200);

		const login = async () => (await new Client(app.url).post('/api/v1/auth/login', { email: member.email, password: PASSWORD })).json.workspaceId;
		// Accepting opened the shop: it is the last one used.
		expect(await login()).toBe(shop.workspaceId);
		// Opening the own workspace in the browser switches to it, and the next login opens it.
		const page = await member.client.get(`/w/${member.workspaceId}/settings/profile`);
		expect(page.status).toBe(200);
		expect(await login()).toBe(member.workspaceId);
		const { rows } = await db.query('select last_workspace_id from users where id = $1', [member.userId]);
		expect(rows[0].last_workspace_id).toBe(member.workspaceId);
	});
});

describe('revoking invitations', () => {
	it("answers 404 when a form revokes another workspace's invitation, and leaves it usable", async () => {
		const shop = await owner();
		const other = await owner('other');
		const { id, token } = await invite(shop.client, { role: 'agent' });
		const res = await fetch(`${app.url}/w/${other.workspaceId}/settings/members?/revokeInvitation`, {
			method: 'POST',
			headers: { origin: app.url, cookie: other.client.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
			body: new URLSearchParams({ invitationId: id }),
			redirect: 'manual'
		});
		const body = await res.json();
		expect(body.status).toBe(404);
		expect(body.type).toBe('failure');
		const row = await db.query('select revoked_at from invitations where id = $1', [id]);
		expect(row.rows[0].revoked_at).toBeNull();
		expect((await new Client(app.url).post('/api/v1/auth/signup', { email: uniqueEmail(), password: PASSWORD, name: 'Ok', invitation: token })).status).toBe(201);
	});
});

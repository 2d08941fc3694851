import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.ts';

const PASSWORD = 'correct horse battery';
const NEW_PASSWORD = 'a brand new secret';
let app: RunningApp;
let smtp: TestSmtp;
const db = testPool();

beforeAll(async () => {
	smtp = await startTestSmtp();
	app = await startTestApp({ SMTP_URL: smtp.url });
});
afterAll(async () => {
	await app.close();
	await smtp.close();
	await db.end();
});

async function account(label = 'reset') {
	const client = new Client(app.url);
	const email = uniqueEmail(label);
	const res = await client.post('/api/v1/auth/signup', { email, password: PASSWORD, name: label });
	expect(res.status).toBe(201);
	return { client, email, userId: res.json.user.id as string, workspaceId: res.json.workspace.id as string };
}

/** Asks for a reset link over the API and returns the token of the mail that brings it. */
async function resetLink(email: string): Promise<string> {
	const before = smtp.mails.length;
	const asked = await new Client(app.url).post('/api/v1/auth/password-reset', { email });
	expect(asked.status).toBe(202);
	const mail = await smtp.waitFor((m) => smtp.mails.indexOf(m) >= before && m.to.includes(email) && m.link?.includes('/reset-password/') === true);
	return mail.link!.split('/reset-password/')[1];
}

const login = (email: string, password: string) => new Client(app.url).post('/api/v1/auth/login', { email, password });

describe('password reset by e-mailed link', () => {
	it('answers the same whether or not the address has an account, and mails only the account', async () => {
		const known = await account();
		const unknown = uniqueEmail('ghost');
		const a = await new Client(app.url).post('/api/v1/auth/password-reset', { email: known.email });
		const b = await new Client(app.url).post('/api/v1/auth/password-reset', { email: unknown });
		expect(a.status).toBe(b.status);
		expect(a.json).toEqual(b.json);
		await smtp.waitFor((m) => m.to.includes(known.email) && m.subject === 'Reset your ChatMai password');
		// The unknown address is never written to: give the background sender the same chance.
		await new Client(app.url).post('/api/v1/auth/password-reset', { email: known.email });
		await smtp.waitFor((m) => m.to.includes(known.email) && smtp.mails.filter((x) => x.to.includes(known.email)).length >= 3);
		expect(smtp.mails.some((m) => m.to.includes(unknown))).toBe(false);
	});

	it('keeps only the SHA-256 of the token, which expires in one hour', async () => {
		const user = await account();
		const token = await resetLink(user.email);
		const { rows } = await db.query(
			`select token_hash, extract(epoch from expires_at - created_at)::int as lifetime from email_tokens where user_id = $1 and purpose = 'password_reset'`,
			[user.userId]
		);
		expect(rows).toHaveLength(1);
		expect(rows[0].token_hash).toBe(createHash('sha256').update(token).digest('hex'));
		expect(rows[0].lifetime).toBe(3600);
		expect(JSON.stringify(rows)).not.toContain(token);
	});

	it('sets the new password, ends every session, audits it, and works once', async () => {
		const user = await account();
		const other = new Client(app.url);
		expect((await other.post('/api/v1/auth/login', { email: user.email, password: PASSWORD })).status).toBe(200);
		const token = await resetLink(user.email);

		const done = await new Client(app.url).post('/api/v1/auth/password-reset/confirm', { token, password: NEW_PASSWORD });
		expect(done.status).toBe(200);
		expect((await user.client.get('/api/v1/me')).status).toBe(401);
		expect((await other.get('/api/v1/me')).status).toBe(401);
		expect((await login(user.email, PASSWORD)).status).toBe(401);
		expect((await login(user.email, NEW_PASSWORD)).status).toBe(200);

		const again = await new Client(app.url).post('/api/v1/auth/password-reset/confirm', { token, password: 'yet another password' });
		expect(again.status).toBe(400);
		expect(again.json.error.code).toBe('link_invalid');
		const audit = await db.query(`select action from audit_log where actor_id = $1`, [user.userId]);
		expect(audit.rows.map((r) => r.action)).toEqual(expect.arrayContaining(['auth.password_reset_requested', 'auth.password_reset']));
	});

	it('refuses an expired link and a too-short password, changing nothing', async () => {
		const user = await account();
		const short = await resetLink(user.email);
		const tooShort = await new Client(app.url).post('/api/v1/auth/password-reset/confirm', { token: short, password: 'short' });
		expect(tooShort.status).toBe(400);
		expect(tooShort.json.error.code).toBe('invalid_input');
		await db.query(`update email_tokens set expires_at = now() - interval '1 second' where user_id = $1`, [user.userId]);
		const expired = await new Client(app.url).post('/api/v1/auth/password-reset/confirm', { token: short, password: NEW_PASSWORD });
		expect(expired.json.error.code).toBe('link_invalid');
		expect((await login(user.email, PASSWORD)).status).toBe(200);
		expect((await user.client.get('/api/v1/me')).status).toBe(200);
	});
});

describe('changing the password in Profile', () => {
	it('needs the current password and ends the other sessions, keeping this one', async () => {
		const user = await account('profile');
		const other = new Client(app.url);
		expect((await other.post('/api/v1/auth/login', { email: user.email, password: PASSWORD })).status).toBe(200);
		const change = (current: string) =>
			fetch(`${app.url}/w/${user.workspaceId}/settings/profile?/password`, {
				method: 'POST',
				headers: { origin: app.url, cookie: user.client.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
				body: new URLSearchParams({ current, next: NEW_PASSWORD, confirm: NEW_PASSWORD })
			}).then((r) => r.json());
		const wrong = await change('not my password');
		expect(wrong.type).toBe('failure');
		expect((await other.get('/api/v1/me')).status).toBe(200);
		const right = await change(PASSWORD);
		expect(right.type).toBe('success');
		expect((await other.get('/api/v1/me')).status).toBe(401);
		expect((await user.client.get('/api/v1/me')).status).toBe(200);
		expect((await login(user.email, NEW_PASSWORD)).status).toBe(200);
	});
});

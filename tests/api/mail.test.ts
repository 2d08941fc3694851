import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { scratchDatabase, testPool, uniqueEmail } from '../helpers/db.ts';
import { startTestSmtp, type TestSmtp } from '../helpers/smtp.ts';
import { setLogLevel } from '../../src/lib/server/log.ts';

const PASSWORD = 'correct horse battery';
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
afterEach(() => {
	smtp.refuse(false);
	vi.restoreAllMocks();
	setLogLevel('error');
});

async function signUp(base: string, body: Record<string, unknown> = {}) {
	const client = new Client(base);
	const email = uniqueEmail('mail');
	const res = await client.post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Nok', ...body });
	return { client, email, res };
}

/** Captures the structured log lines written while `fn` runs (warn and error go to stderr). */
async function logLines(fn: () => Promise<void>, until: (lines: Record<string, unknown>[]) => boolean) {
	const lines: Record<string, unknown>[] = [];
	setLogLevel('warn');
	const write = process.stderr.write.bind(process.stderr);
	vi.spyOn(process.stderr, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
		for (const line of String(chunk).split('\n')) {
			try {
				if (line.startsWith('{')) lines.push(JSON.parse(line));
			} catch {
				/* not ours */
			}
		}
		return (write as (c: string | Uint8Array, ...r: unknown[]) => boolean)(chunk, ...rest);
	}) as typeof process.stderr.write);
	await fn();
	const deadline = Date.now() + 10_000;
	while (!until(lines) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
	return lines;
}

describe('verification mail', () => {
	it('sends a new account a verification link in its own language', async () => {
		const thai = new Client(app.url);
		const email = uniqueEmail('thai');
		// The form takes the language from the interface; the API from the body.
		const res = await thai.post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Nid', locale: 'th' });
		expect(res.status).toBe(201);
		const mail = await smtp.waitFor((m) => m.to.includes(email));
		expect(mail.subject).toBe('ยืนยันอีเมลของคุณสำหรับ ChatMai');
		expect(mail.text).toContain('สวัสดี Nid');
		expect(mail.link).toMatch(/\/verify-email\/[a-z2-7]{40}$/);
		expect((await thai.get('/api/v1/me')).json.user.emailVerified).toBe(false);
		const token = mail.link!.split('/verify-email/')[1];
		expect((await new Client(app.url).post('/api/v1/auth/verify-email', { token })).status).toBe(200);
		expect((await thai.get('/api/v1/me')).json.user.emailVerified).toBe(true);
		const resent = await thai.post('/api/v1/auth/verify-email/resend');
		expect(resent.json.result).toBe('already_verified');
	});

	it('resends a verification link that works while the older one stops working', async () => {
		const { client, email } = await signUp(app.url);
		const first = await smtp.waitFor((m) => m.to.includes(email));
		const resent = await client.post('/api/v1/auth/verify-email/resend');
		expect(resent.status).toBe(202);
		const second = await smtp.waitFor((m) => m.to.includes(email) && m.link !== first.link);
		expect((await new Client(app.url).post('/api/v1/auth/verify-email', { token: second.link!.split('/verify-email/')[1] })).status).toBe(200);
		const old = await new Client(app.url).post('/api/v1/auth/verify-email', { token: first.link!.split('/verify-email/')[1] });
		expect(old.json.error.code).toBe('link_invalid');
	});
});

describe('Profile', () => {
	it('resends the verification link from the form and says whether the address is confirmed', async () => {
		const { client, email, res } = await signUp(app.url);
		const workspaceId = res.json.workspace.id;
		const first = await smtp.waitFor((m) => m.to.includes(email));
		const page = await client.get(`/w/${workspaceId}/settings/profile`);
		expect(page.text).toContain('data-verified="false"');
		const resend = await fetch(`${app.url}/w/${workspaceId}/settings/profile?/resendVerification`, {
			method: 'POST',
			headers: { origin: app.url, cookie: client.cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
			body: new URLSearchParams({})
		}).then((r) => r.json());
		expect(resend.type).toBe('success');
		const second = await smtp.waitFor((m) => m.to.includes(email) && m.link !== first.link);
		expect((await new Client(app.url).post('/api/v1/auth/verify-email', { token: second.link!.split('/verify-email/')[1] })).status).toBe(200);
		expect((await client.get(`/w/${workspaceId}/settings/profile`)).text).toContain('data-verified="true"');
	});
});

describe('a sign-up with a registered address', () => {
	it("creates nothing and mails the address's owner a way back in instead", async () => {
		const { email, res } = await signUp(app.url);
		expect(res.status).toBe(201);
		const twice = await new Client(app.url).post('/api/v1/auth/signup', { email: email.toUpperCase(), password: 'another password', name: 'Impostor' });
		expect(twice.status).toBeGreaterThanOrEqual(400);
		expect(twice.json.token).toBeUndefined();
		const note = await smtp.waitFor((m) => m.to.includes(email) && m.subject === 'Someone tried to sign up to ChatMai with your address');
		expect(note.link).toMatch(/\/reset-password\/[a-z2-7]{40}$/);
		const { rows } = await db.query('select name from users where lower(email) = lower($1)', [email]);
		expect(rows).toEqual([{ name: 'Nok' }]);
	});
});

describe('when mail cannot be sent', () => {
	it('still signs up and still gives the admin the invitation link, logging the reason', async () => {
		const { client } = await signUp(app.url);
		smtp.refuse(true);
		let invite: { status: number; json: any } | undefined;
		const lines = await logLines(
			async () => {
				invite = await client.post('/api/v1/invitations', { role: 'agent', email: uniqueEmail('unreachable') });
			},
			(l) => l.some((x) => x.event === 'mail_failed')
		);
		expect(invite!.status).toBe(201);
		expect(invite!.json.mail).toBe('failed');
		expect(invite!.json.url).toMatch(/\/invite\/[a-z2-7]{40}$/);
		const failure = lines.find((l) => l.event === 'mail_failed')!;
		expect(failure).toMatchObject({ scope: 'mail', kind: 'invitation' });
		expect(String(failure.reason)).not.toBe('');
		const signup = await signUp(app.url);
		expect(signup.res.status).toBe(201);
	});
});

describe('without SMTP (the embedded default)', () => {
	it('prints the link to the log, once, and tells the admin to copy it', async () => {
		const scratch = await scratchDatabase('maillog');
		const plain = await startTestApp({ DATABASE_URL: scratch.url, CHATMAI_WORKERS: 'false' });
		try {
			const { client } = await signUp(plain.url, { workspaceName: 'Log Shop' });
			let invite: { status: number; json: any } | undefined;
			const lines = await logLines(
				async () => {
					invite = await client.post('/api/v1/invitations', { role: 'agent', email: uniqueEmail('logged') });
				},
				(l) => l.some((x) => x.event === 'mail_not_sent_link_logged' && x.kind === 'invitation')
			);
			expect(invite!.json.mail).toBe('logged');
			const logged = lines.filter((l) => l.event === 'mail_not_sent_link_logged' && l.kind === 'invitation');
			expect(logged).toHaveLength(1);
			expect(logged[0].link).toBe(invite!.json.url);
			expect(JSON.stringify(logged[0])).not.toContain('@example.test');
		} finally {
			await plain.close();
			await scratch.drop();
		}
	});
});

describe('the demo seed', () => {
	it('makes the agent and the supervisor members of Demo Shop only, with verified addresses', async () => {
		const scratch = await scratchDatabase('seed');
		const demo = await startTestApp({ DATABASE_URL: scratch.url, CHATMAI_WORKERS: 'false', CHATMAI_SEED_DEMO: 'true' });
		try {
			for (const [email, role] of [
				['demo@chatmai.local', 'owner'],
				['somchai@chatmai.local', 'agent'],
				['malee@chatmai.local', 'supervisor']
			]) {
				const client = new Client(demo.url);
				const login = await client.post('/api/v1/auth/login', { email, password: 'chatmai-demo' });
				expect(login.status).toBe(200);
				const me = await client.get('/api/v1/me');
				expect(me.json.workspaces).toEqual([expect.objectContaining({ name: 'Demo Shop', role })]);
				expect(me.json.workspaceId).toBe(me.json.workspaces[0].id);
				expect(me.json.user.emailVerified).toBe(true);
			}
		} finally {
			await demo.close();
			await scratch.drop();
		}
	});
});

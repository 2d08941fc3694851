import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { startTestApp } from '../helpers/app.ts';
import { testDatabaseUrl, testPool } from '../helpers/db.ts';
import { join, seedWorkspace, signUp, startRevokeRecorder } from './fixtures.ts';

let app: RunningApp;
const db = testPool();

beforeAll(async () => {
	app = await startTestApp();
});
afterAll(async () => {
	await app.close();
	await db.end();
});

async function actions(workspaceId: string | null, actorId?: string): Promise<string[]> {
	const { rows } = await db.query(
		`select action from audit_log where workspace_id is not distinct from $1 and ($2::uuid is null or actor_id = $2) order by id`,
		[workspaceId, actorId ?? null]
	);
	return rows.map((r) => r.action);
}

describe('workspace export', () => {
	it("gives the owner every section of the workspace's data as an attachment, and nothing of another workspace", async () => {
		const owner = await signUp(app.url);
		const other = await signUp(app.url, 'other');
		const mine = await seedWorkspace(db, app.services.keyRing, owner.workspaceId, owner.userId, [1, 3]);
		const theirs = await seedWorkspace(db, app.services.keyRing, other.workspaceId, other.userId, [1]);

		const res = await owner.client.get('/api/v1/export');

		expect(res.status).toBe(200);
		expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="chatmai-workspace-.+\.json"$/);
		const doc = res.json;
		expect(doc.format).toBe('chatmai.workspace-export');
		expect(doc.workspace.id).toBe(owner.workspaceId);
		expect(doc.members.map((m: { email: string }) => m.email)).toEqual([owner.email]);
		expect(doc.connections.map((c: { id: string }) => c.id)).toEqual([mine.connectionId]);
		expect(doc.contacts[0].identities).toHaveLength(1);
		expect(doc.conversations.map((c: { id: string }) => c.id)).toEqual([mine.conversationId]);
		expect(doc.messages).toHaveLength(2);
		expect(doc.notes[0].body).toContain(mine.marker);
		expect(doc.orders).toHaveLength(1);
		expect(doc.auditLog.map((a: { action: string }) => a.action)).toEqual(expect.arrayContaining(['auth.signup', 'workspace.exported']));
		expect(res.text).not.toContain(theirs.marker);
		expect(res.text).not.toContain(other.workspaceId);
	});

	it('leaves out password hashes, session and token secrets, platform credentials and verify tokens', async () => {
		const owner = await signUp(app.url);
		const seeded = await seedWorkspace(db, app.services.keyRing, owner.workspaceId, owner.userId);
		const token = (await owner.client.post('/api/v1/tokens', { name: 'script' })).json.token as string;
		const [user, session, credentials] = await Promise.all([
			db.query('select password_hash from users where id = $1', [owner.userId]),
			db.query('select secret_hash from sessions where user_id = $1', [owner.userId]),
			db.query('select ciphertext, auth_tag from platform_credentials where connection_id = $1', [seeded.connectionId])
		]);

		const { text } = await owner.client.get('/api/v1/export');

		for (const secret of [
			user.rows[0].password_hash,
			session.rows[0].secret_hash,
			owner.client.cookie.split('=')[1].split('.')[1],
			token,
			credentials.rows[0].ciphertext.toString('base64'),
			credentials.rows[0].ciphertext.toString('hex'),
			credentials.rows[0].auth_tag.toString('hex'),
			'verify-secret-',
			'reply-token-secret',
			`secret-${seeded.marker}`
		]) {
			expect(text).not.toContain(secret);
		}
		expect(text).not.toMatch(/password_hash|passwordHash|secret_hash|token_hash|ciphertext|auth_tag|verify_?token/i);
	});

	it('refuses an agent with 403 and a stranger with 404', async () => {
		const owner = await signUp(app.url);
		const agent = await signUp(app.url, 'agent');
		const stranger = await signUp(app.url, 'stranger');
		await join(db, owner, agent, 'agent');
		const header = { 'x-workspace-id': owner.workspaceId };
		expect((await agent.client.get('/api/v1/export', header)).status).toBe(403);
		expect((await stranger.client.get('/api/v1/export', header)).status).toBe(404);
		expect(await actions(owner.workspaceId)).not.toContain('workspace.exported');
	});

	it('writes the export to the audit log', async () => {
		const owner = await signUp(app.url);
		await owner.client.get('/api/v1/export');
		expect(await actions(owner.workspaceId, owner.userId)).toContain('workspace.exported');
	});
});

describe('personal export', () => {
	it('gives any member their account, memberships, their notes and sessions without secrets', async () => {
		const owner = await signUp(app.url);
		const agent = await signUp(app.url, 'agent');
		await join(db, owner, agent, 'agent');
		const seeded = await seedWorkspace(db, app.services.keyRing, owner.workspaceId, agent.userId);

		const res = await agent.client.get('/api/v1/me/export');

		expect(res.status).toBe(200);
		expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
		expect(res.json.account.email).toBe(agent.email);
		expect(res.json.memberships.map((m: { role: string }) => m.role).sort()).toEqual(['agent', 'owner']);
		expect(res.json.notes.map((n: { body: string }) => n.body)).toEqual([`${seeded.marker} note`]);
		expect(res.json.sessions.some((s: { current: boolean }) => s.current)).toBe(true);
		const sessionSecret = agent.client.cookie.split('=')[1];
		expect(res.text).not.toContain(sessionSecret.split('.')[0]);
		expect(res.text).not.toContain(sessionSecret.split('.')[1]);
		expect(res.text).not.toMatch(/password_hash|passwordHash|secret_hash|token_hash/);
		expect(await actions(null, agent.userId)).toContain('account.exported');
	});
});

describe('audit log', () => {
	it('lets owners and admins page through it, newest first, and records each read', async () => {
		const owner = await signUp(app.url);
		const admin = await signUp(app.url, 'admin');
		await join(db, owner, admin, 'admin');
		for (let i = 0; i < 4; i++) await owner.client.post('/api/v1/tokens', { name: `t${i}` });
		const header = { 'x-workspace-id': owner.workspaceId };

		const first = await admin.client.get('/api/v1/audit?limit=3', header);
		expect(first.status).toBe(200);
		expect(first.json.entries).toHaveLength(3);
		expect(first.json.entries[0]).toMatchObject({ action: 'audit.read', actorId: admin.userId, actorName: 'admin' });
		const second = await admin.client.get(`/api/v1/audit?limit=3&before=${first.json.nextCursor}`, header);
		expect(second.json.entries[0].id).toBeLessThan(first.json.entries.at(-1).id);
		const all = await owner.client.get('/api/v1/audit?limit=500');
		const ids = all.json.entries.map((e: { id: number }) => e.id);
		expect(ids).toEqual([...ids].sort((a, b) => b - a));
		expect(all.json.nextCursor).toBeNull();
		expect(all.json.entries.filter((e: { action: string }) => e.action === 'audit.read')).toHaveLength(3);
	});

	it('is closed to agents and to other workspaces', async () => {
		const owner = await signUp(app.url);
		const agent = await signUp(app.url, 'agent');
		const stranger = await signUp(app.url, 'stranger');
		await join(db, owner, agent, 'agent');
		const header = { 'x-workspace-id': owner.workspaceId };
		expect((await agent.client.get('/api/v1/audit', header)).status).toBe(403);
		expect((await stranger.client.get('/api/v1/audit', header)).status).toBe(404);
	});
});

describe('workspace settings', () => {
	it('lets an admin shorten retention but never past 12 months, and audits the change', async () => {
		const owner = await signUp(app.url);
		const admin = await signUp(app.url, 'admin');
		const agent = await signUp(app.url, 'agent');
		await join(db, owner, admin, 'admin');
		await join(db, owner, agent, 'agent');
		const header = { 'x-workspace-id': owner.workspaceId };
		const tooLong = await admin.client.request('PATCH', '/api/v1/workspace', { retentionDays: 400 }, header);
		expect(tooLong.status).toBe(400);
		const ok = await admin.client.request('PATCH', '/api/v1/workspace', { retentionDays: 90, timeZone: 'Asia/Bangkok' }, header);
		expect(ok.status).toBe(200);
		expect(ok.json.workspace.retentionDays).toBe(90);
		expect((await agent.client.request('PATCH', '/api/v1/workspace', { retentionDays: 30 }, header)).status).toBe(403);
		const { rows } = await db.query(`select meta from audit_log where workspace_id = $1 and action = 'workspace.settings_changed'`, [owner.workspaceId]);
		expect(rows[0].meta.retentionDays).toEqual({ from: 365, to: 90 });
	});
});

describe('operator CLI', () => {
	/** Runs the CLI as an operator would; asynchronously, so fakes in this process can answer it. */
	function admin(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
		return new Promise((resolve) => {
			execFile(
				process.execPath,
				['scripts/admin.ts', ...args],
				{ env: { ...process.env, DATABASE_URL: testDatabaseUrl(), LOG_LEVEL: 'error' }, encoding: 'utf8', timeout: 20_000 },
				(error, stdout, stderr) => resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr })
			);
		});
	}

	it('writes an admin entry with the operator and host before listing workspaces', async () => {
		const owner = await signUp(app.url);
		const before = (await db.query('select max(id) as id from audit_log')).rows[0].id;
		const run = await admin('workspaces');
		expect(run.status, run.stderr).toBe(0);
		expect(run.stdout).toContain(owner.workspaceId);
		const { rows } = await db.query(`select actor_id, meta from audit_log where id > $1 and action = 'admin.workspaces'`, [before]);
		expect(rows).toHaveLength(1);
		expect(rows[0].actor_id).toBeNull();
		expect(rows[0].meta).toMatchObject({ host: expect.any(String), operator: expect.any(String) });
	});

	it("shows a dry-run purge of one workspace in that workspace's own audit log", async () => {
		const owner = await signUp(app.url);
		const run = await admin('purge', '--dry-run', '--workspace', owner.workspaceId);
		expect(run.status, run.stderr).toBe(0);
		const log = await owner.client.get('/api/v1/audit');
		const entry = log.json.entries.find((e: { action: string }) => e.action === 'admin.purge');
		expect(entry.meta).toMatchObject({ dryRun: true });
	});

	it('refuses to delete a workspace without --yes and leaves it untouched', async () => {
		const owner = await signUp(app.url);
		const run = await admin('delete-workspace', owner.workspaceId);
		expect(run.status).toBe(1);
		expect((await db.query('select deletion_requested_at from workspaces where id = $1', [owner.workspaceId])).rows[0].deletion_requested_at).toBeNull();
	});

	it('deletes a workspace with --yes: logs the operator first, revokes its tokens and purges it', async () => {
		const owner = await signUp(app.url);
		const line = await startRevokeRecorder();
		const seeded = await seedWorkspace(db, app.services.keyRing, owner.workspaceId, owner.userId, [1], line.baseUrl);
		const run = await admin('delete-workspace', owner.workspaceId, '--yes');
		await line.close();
		expect(run.status, run.stderr).toBe(0);
		expect(line.revoked).toEqual([`token-${seeded.marker}`]);
		expect((await db.query('select 1 from workspaces where id = $1', [owner.workspaceId])).rowCount).toBe(0);
		const { rows } = await db.query(`select action from audit_log where target_id = $1 order by id`, [owner.workspaceId]);
		expect(rows.map((r) => r.action)).toEqual(['admin.delete_workspace', 'workspace.deletion_requested', 'workspace.purged']);
	});
});

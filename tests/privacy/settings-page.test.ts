import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client } from '../helpers/app.ts';
import { testDatabaseUrl, testPool } from '../helpers/db.ts';
import { eventually, signUp } from './fixtures.ts';

/*
 * The page is rendered by the real server in its own process: inside vitest, the Svelte plugin would
 * compile the built `*.svelte.js-<hash>.js` chunks a second time.
 */
let server: ChildProcess;
let base: string;
const db = testPool();

beforeAll(async () => {
	server = spawn(process.execPath, ['server/index.ts'], {
		env: { ...process.env, NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: testDatabaseUrl(), CHATMAI_WORKERS: 'false', LOG_LEVEL: 'info', CHATMAI_SIGNUP_LIMIT_PER_HOUR: '100000' },
		stdio: ['ignore', 'pipe', 'inherit']
	});
	base = await new Promise<string>((resolve, reject) => {
		let buffered = '';
		server.stdout!.on('data', (chunk: Buffer) => {
			buffered += chunk.toString();
			const line = buffered.split('\n').find((l) => l.includes('"event":"listening"'));
			if (line) resolve(JSON.parse(line).url);
		});
		server.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
	});
});
afterAll(async () => {
	if (server.exitCode === null) {
		const exited = new Promise((resolve) => server.once('exit', resolve));
		server.kill('SIGTERM');
		await exited;
	}
	await db.end();
});

describe('the Privacy & data settings page', () => {
	it('shows the owner the retention setting, both downloads and the audit log, and records that read', async () => {
		const owner = await signUp(base);
		const page = await owner.client.get(`/w/${owner.workspaceId}/settings/privacy`);
		expect(page.status).toBe(200);
		for (const testid of ['settings-privacy', 'privacy-retention', 'export-workspace', 'export-mine', 'audit-table', 'delete-workspace-submit', 'delete-account-submit']) {
			expect(page.text).toContain(`data-testid="${testid}"`);
		}
		const { rows } = await db.query(`select 1 from audit_log where workspace_id = $1 and action = 'audit.read'`, [owner.workspaceId]);
		expect(rows).toHaveLength(1);
	});

	it('deletes the workspace from the form only when the name is typed exactly', async () => {
		const owner = await signUp(base);
		const form = (confirmName: string) =>
			owner.client.request('POST', `/w/${owner.workspaceId}/settings/privacy?/deleteWorkspace`, new URLSearchParams({ confirmName }).toString(), {
				'content-type': 'application/x-www-form-urlencoded',
				accept: 'text/html'
			});
		const refused = await form('nope');
		expect(refused.status).toBe(400);
		expect(refused.text).toContain('The name does not match');
		expect((await db.query('select deletion_requested_at from workspaces where id = $1', [owner.workspaceId])).rows[0].deletion_requested_at).toBeNull();
		expect((await form(owner.workspaceName)).status).toBe(303);
		await eventually(async () => (await db.query('select 1 from workspaces where id = $1', [owner.workspaceId])).rowCount === 0);
	});

	it('keeps an agent out of the retention form and the audit log', async () => {
		const owner = await signUp(base);
		const agent = new Client(base);
		const { acceptInvitation } = await import('../../src/lib/server/accounts.ts');
		const invite = await owner.client.post('/api/v1/invitations', { role: 'agent' });
		const other = await signUp(base, 'agent');
		await acceptInvitation(db, new URL(invite.json.url).pathname.split('/').pop()!, { id: other.userId, email: other.email, name: 'agent', locale: 'en' });
		agent.cookie = other.client.cookie;
		const page = await agent.get(`/w/${owner.workspaceId}/settings/privacy`);
		expect(page.status).toBe(200);
		expect(page.text).toContain('data-testid="retention-readonly"');
		expect(page.text).not.toContain('data-testid="audit-table"');
		expect(page.text).not.toContain('data-testid="export-workspace"');
	});
});

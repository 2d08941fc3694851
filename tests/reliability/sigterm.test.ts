import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import * as Y from 'yjs';
import { HocuspocusProvider } from '@hocuspocus/provider';
import { Client } from '../helpers/app.ts';
import { testDatabaseUrl, testPool, uniqueEmail } from '../helpers/db.ts';
import { seedConversation } from '../helpers/seed.ts';
import { waitFor } from '../pipeline/harness.ts';
import { conversationDoc, conversationDocName, draftText, readNotes } from '../../src/lib/conversation-doc.ts';
import { addLabel, addNote, setStatus } from '../../src/lib/conversation-edits.ts';

/**
 * Issue 11 reliability battery: the real server process gets SIGTERM while two agents' edits are
 * still waiting for the store debounce. Everything they wrote is stored (tests/collab/persistence
 * covers `close()` in-process; this is the process, its signal handler and its exit).
 */
const db = testPool(2);
let server: ChildProcess | undefined;

afterAll(async () => {
	if (server && server.exitCode === null) server.kill('SIGKILL');
	await db.end();
});

function startServer(): Promise<{ url: string; process: ChildProcess }> {
	const child = spawn(process.execPath, ['server/index.ts'], {
		env: { ...process.env, NODE_ENV: 'test', PORT: '0', HOST: '127.0.0.1', DATABASE_URL: testDatabaseUrl(), CHATMAI_WORKERS: 'false', LOG_LEVEL: 'info', CHATMAI_SIGNUP_LIMIT_PER_HOUR: '100000' },
		stdio: ['ignore', 'pipe', 'pipe']
	});
	return new Promise((resolve, reject) => {
		let out = '';
		child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
			out += chunk;
			const listening = /"event":"listening".*?"url":"(http:\/\/[^"]+)"/.exec(out);
			if (listening) resolve({ url: listening[1], process: child });
		});
		child.on('exit', (code) => reject(new Error(`the server exited with ${code} before listening: ${out.slice(-500)}`)));
	});
}

function open(url: string, name: string, token: string): Promise<{ provider: HocuspocusProvider; doc: Y.Doc }> {
	const doc = new Y.Doc();
	return new Promise((resolve, reject) => {
		const provider = new HocuspocusProvider({
			url: url.replace(/^http/, 'ws') + '/collab',
			name,
			token,
			document: doc,
			onSynced: () => resolve({ provider, doc }),
			onAuthenticationFailed: ({ reason }) => reject(new Error(reason))
		});
	});
}

function write(doc: Y.Doc, text: string): void {
	const p = new Y.XmlElement('paragraph');
	p.insert(0, [new Y.XmlText(text)]);
	conversationDoc(doc).draft.insert(conversationDoc(doc).draft.length, [p]);
}

describe('SIGTERM with unsaved document changes', () => {
	it('stores every change two agents made just before the server process was told to stop', async () => {
		const started = await startServer();
		server = started.process;
		const owner = new Client(started.url);
		const signup = await owner.post('/api/v1/auth/signup', { email: uniqueEmail('sigterm'), password: 'correct horse battery', name: 'Ploy', workspaceName: 'Ploy Shop' });
		expect(signup.status).toBe(201);
		const workspaceId = signup.json.workspace.id;
		const agentClient = new Client(started.url);
		const agentSignup = await agentClient.post('/api/v1/auth/signup', { email: uniqueEmail('agent'), password: 'correct horse battery', name: 'Somchai' });
		await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, 'agent')`, [workspaceId, agentSignup.json.user.id]);
		const conn = await db.query(
			`insert into platform_connections (workspace_id, platform, name, external_id) values ($1, 'line', 'LINE OA', $2) returning id`,
			[workspaceId, crypto.randomUUID()]
		);
		const conversationId = await seedConversation(db, { workspaceId, connectionId: conn.rows[0].id }, { customer: 'Kanya', messages: ['hello'] });
		const name = conversationDocName(conversationId);

		const a = await open(started.url, name, signup.json.token);
		const b = await open(started.url, name, agentSignup.json.token);
		write(a.doc, 'Your parcel left Bangkok today.');
		write(b.doc, 'Tracking: TH123456789');
		const note = addNote(b.doc, { body: 'Customer asked twice', mentions: [], authorId: agentSignup.json.user.id, authorName: 'Somchai' });
		addLabel(a.doc, 'shipping');
		setStatus(a.doc, 'pending');
		await waitFor(() => !a.provider.hasUnsyncedChanges && !b.provider.hasUnsyncedChanges, 'the server to have every change');
		const before = await db.query('select state from collab_documents where name = $1', [name]);
		const storedBefore = before.rows[0] ? draftText(applied(before.rows[0].state)) : '';

		const signalled = Date.now();
		server.kill('SIGTERM');
		const code = await new Promise<number | null>((resolve) => server!.once('exit', (c) => resolve(c)));
		const drainMs = Date.now() - signalled;
		a.provider.destroy();
		b.provider.destroy();

		const { rows } = await db.query('select state from collab_documents where name = $1', [name]);
		const stored = applied(rows[0].state);
		const conversation = await db.query('select status, labels from conversations where id = $1', [conversationId]);
		const noteRow = await db.query('select body from notes where id = $1', [note.id]);
		const kept = {
			// Both agents appended a paragraph at once: either order is right, losing one is not.
			draft: draftText(stored).split('\n').sort().join('\n') === 'Tracking: TH123456789\nYour parcel left Bangkok today.',
			note: readNotes(stored).some((n) => n.id === note.id) && noteRow.rows[0]?.body === 'Customer asked twice',
			label: conversation.rows[0].labels.includes('shipping'),
			status: conversation.rows[0].status === 'pending'
		};
		console.log(
			`SIGTERM → exit ${code} in ${drainMs} ms; draft stored before the signal: ${storedBefore ? 'partly or fully' : 'no'}; ` +
				`after: ${Object.entries(kept).map(([k, v]) => `${k} ${v ? 'stored' : 'LOST'}`).join(', ')}`
		);
		expect(code).toBe(0);
		expect(kept).toEqual({ draft: true, note: true, label: true, status: true });
	});
});

function applied(state: Uint8Array): Y.Doc {
	const doc = new Y.Doc();
	Y.applyUpdate(doc, state);
	return doc;
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { conversationDoc, readNotes } from '../../src/lib/conversation-doc.ts';
import { addNote } from '../../src/lib/conversation-edits.ts';
import { connect, createFixture, disconnect, startServer, waitFor } from '../collab/helpers.ts';
import { connect as connectPlatform, deliver, messagesOf, signUpOwner, webhookFor } from '../pipeline/harness.ts';
import { startFakePlatform } from '../fakes/platforms.ts';

/**
 * Issue 11, low item: U+0000 in text (PostgreSQL cannot store it) is refused with 400 or dropped,
 * never a 500; a live note holding one is reverted rather than left unsaved.
 */
let app: RunningApp;
const db = testPool(3);
let owner: Client;
let workspaceId: string;
const NUL = '\u0000';

beforeAll(async () => {
	app = await startTestApp();
	owner = new Client(app.url);
	const res = await owner.post('/api/v1/auth/signup', { email: uniqueEmail('nul'), password: 'correct horse battery', name: 'Nok', workspaceName: 'Nok Shop' });
	expect(res.status).toBe(201);
	workspaceId = res.json.workspace.id;
});
afterAll(async () => {
	await app.close();
	await db.end();
});

describe('U+0000 in text', () => {
	it('answers 400 on every JSON route that stores text', async () => {
		const answers = {
			signup: await new Client(app.url).post('/api/v1/auth/signup', { email: uniqueEmail('nul'), password: 'correct horse battery', name: `N${NUL}ok` }),
			canned: await owner.post('/api/v1/canned-responses', { shortcut: 'hi', body: `Hello${NUL}` }),
			workspace: await owner.request('PATCH', '/api/v1/workspace', { name: `Shop${NUL}` }),
			token: await owner.post('/api/v1/tokens', { name: `ci${NUL}` }),
			invitation: await owner.post('/api/v1/invitations', { role: 'agent', email: `a${NUL}@example.test` }),
			search: await owner.get(`/api/v1/conversations?q=${encodeURIComponent(`order${NUL}`)}`),
			searchKey: await owner.get(`/api/v1/conversations?${encodeURIComponent(`q${NUL}`)}=1`)
		};
		console.log(`statuses: ${Object.entries(answers).map(([route, res]) => `${route} ${res.status}`).join(', ')}`);
		for (const res of Object.values(answers)) {
			expect(res.status).toBe(400);
			expect(res.json.error.code).toBe('invalid_input');
		}
	});

	it('drops it from a form field and stores the rest', async () => {
		const form = new URLSearchParams({ shortcut: 'thanks', body: `Thank you${NUL} for your order` });
		const res = await owner.request('POST', `/w/${workspaceId}/settings/canned?/create`, form.toString(), {
			'content-type': 'application/x-www-form-urlencoded',
			'x-sveltekit-action': 'true'
		});
		expect(res.status).toBe(200);
		const { rows } = await db.query(`select body from canned_responses where workspace_id = $1 and shortcut = 'thanks'`, [workspaceId]);
		expect(rows[0].body).toBe('Thank you for your order');
	});

	it('reverts a live note holding it instead of keeping a note PostgreSQL never gets', async () => {
		const server = await startServer(db);
		const fx = await createFixture(db);
		const agent = connect(server.url, fx.docName, fx.agentA.token);
		try {
			expect(await agent.ready).toBe(true);
			const note = addNote(agent.doc, { body: `Refund${NUL} approved`, mentions: [], authorId: fx.agentA.userId, authorName: 'Somchai' });
			await waitFor(() => !readNotes(agent.doc).some((n) => n.id === note.id), 'the note to be reverted');
			const { rows } = await db.query('select count(*)::int as n from notes where conversation_id = $1', [fx.conversationId]);
			expect(rows[0].n).toBe(0);
			expect(conversationDoc(agent.doc).notes.length).toBe(0);
		} finally {
			disconnect(agent);
			await server.close();
		}
	});

	it('drops it from a customer’s message and stores the rest, instead of failing the webhook forever', async () => {
		const line = await startFakePlatform('line');
		try {
			const shop = await signUpOwner(app);
			const connection = await connectPlatform(shop, line);
			const res = await deliver(connection.webhookUrl, webhookFor({ fake: line, connection }, { kind: 'message', text: `Where is my${NUL} parcel?` }));
			expect(res.status).toBe(200);
			const [message] = await waitFor(async () => {
				const rows = await messagesOf(db, connection.id);
				return rows.length ? rows : null;
			}, 'the message stored');
			expect(message.body).toBe('Where is my parcel?');
		} finally {
			await line.close();
		}
	});
});

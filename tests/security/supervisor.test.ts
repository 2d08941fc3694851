import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool } from '../helpers/db.ts';
import { connect, createFixture, disconnect, waitFor, type Client as DocClient, type Fixture } from '../collab/helpers.ts';
import { conversationDoc, draftText, readMeta, readNotes } from '../../src/lib/conversation-doc.ts';
import { setStatus } from '../../src/lib/conversation-edits.ts';

/**
 * Supervisors coach: they write internal notes and @mention members through the notes command
 * (REST or the form action), and still cannot reply, change state or edit the shared draft: the
 * server enforces it for REST, form actions and the live document alike.
 */

const db = testPool();
let app: RunningApp;
let fx: Fixture;
let supervisor: Client;
let agentTab: DocClient;
let supervisorTab: DocClient;

beforeAll(async () => {
	app = await startTestApp({ CHATMAI_WORKERS: 'false' });
	fx = await createFixture(db);
	supervisor = new Client(app.url);
	supervisor.cookie = `chatmai_session=${fx.supervisor.token}`;
	const url = app.url.replace(/^http/, 'ws') + '/collab';
	agentTab = connect(url, fx.docName, fx.agentA.token);
	supervisorTab = connect(url, fx.docName, fx.supervisor.token);
	expect(await agentTab.ready).toBe(true);
	expect(await supervisorTab.ready).toBe(true);
});
afterAll(async () => {
	if (agentTab && supervisorTab) disconnect(agentTab, supervisorTab);
	await app?.close();
	await db.end();
});

const headers = () => ({ 'x-workspace-id': fx.workspaceId });

describe('a supervisor coaching in a conversation', () => {
	it('writes a note with an @mention that every tab shows, stored as theirs, and the mentioned agent is notified', async () => {
		const res = await supervisor.post(
			`/api/v1/conversations/${fx.conversationId}/notes`,
			{ body: '@Somchai please apologise for the delay first', mentions: [fx.agentA.userId] },
			headers()
		);
		expect(res.status).toBe(201);
		expect(res.json.note).toMatchObject({ authorId: fx.supervisor.userId, authorName: 'Niran', mentions: [fx.agentA.userId] });
		const { rows } = await db.query('select author_id, body from notes where id = $1', [res.json.note.id]);
		expect(rows).toEqual([{ author_id: fx.supervisor.userId, body: '@Somchai please apologise for the delay first' }]);
		const notified = await db.query(`select actor_id from notifications where user_id = $1 and kind = 'mention' and conversation_id = $2`, [
			fx.agentA.userId,
			fx.conversationId
		]);
		expect(notified.rows).toEqual([{ actor_id: fx.supervisor.userId }]);
		for (const tab of [agentTab, supervisorTab]) {
			await waitFor(() => readNotes(tab.doc).some((n) => n.id === res.json.note.id && n.authorId === fx.supervisor.userId), 'the note in every tab');
		}
		// The same id again is a harmless retry.
		const again = await supervisor.post(`/api/v1/conversations/${fx.conversationId}/notes`, { id: res.json.note.id, body: 'changed' }, headers());
		expect(again.status).toBe(200);
		expect(again.json.note.body).toBe('@Somchai please apologise for the delay first');
	});

	it('writes a note through the form action of the conversation page', async () => {
		const form = new URLSearchParams({ body: 'Offer the replacement, not a refund', mention: fx.agentB.userId });
		const res = await supervisor.request('POST', `/w/${fx.workspaceId}/inbox/${fx.conversationId}?/note`, form.toString(), {
			'content-type': 'application/x-www-form-urlencoded',
			accept: 'application/json'
		});
		expect(res.status).toBe(200);
		const { rows } = await db.query('select author_id, mentions from notes where conversation_id = $1 and body = $2', [
			fx.conversationId,
			'Offer the replacement, not a refund'
		]);
		expect(rows).toEqual([{ author_id: fx.supervisor.userId, mentions: [fx.agentB.userId] }]);
		await waitFor(() => readNotes(agentTab.doc).some((n) => n.body === 'Offer the replacement, not a refund'), 'the note in the agent tab');
	});

	it('refuses an empty note or one in another workspace', async () => {
		expect((await supervisor.post(`/api/v1/conversations/${fx.conversationId}/notes`, { body: '   ' }, headers())).status).toBe(400);
		expect((await supervisor.post(`/api/v1/conversations/${crypto.randomUUID()}/notes`, { body: 'hello' }, headers())).status).toBe(404);
	});

	it('still cannot reply to the customer, change the status or edit the shared draft', async () => {
		const reply = await supervisor.post(`/api/v1/conversations/${fx.conversationId}/replies`, { body: 'Sorry!' }, { ...headers(), 'idempotency-key': 'sup-1' });
		expect(reply.status).toBe(403);

		setStatus(supervisorTab.doc, 'resolved');
		const paragraph = new Y.XmlElement('paragraph');
		paragraph.insert(0, [new Y.XmlText('Supervisor text')]);
		conversationDoc(supervisorTab.doc).draft.insert(0, [paragraph]);
		// A marker the agent writes after: once it arrives, the supervisor's earlier edits would have too.
		setStatus(agentTab.doc, 'pending');
		await waitFor(async () => (await db.query('select status from conversations where id = $1', [fx.conversationId])).rows[0].status === 'pending', 'the agent status');
		// A fresh tab reads what the server holds (the supervisor's own tab keeps its refused edits locally).
		const fresh = connect(app.url.replace(/^http/, 'ws') + '/collab', fx.docName, fx.agentB.token);
		expect(await fresh.ready).toBe(true);
		expect(readMeta(fresh.doc).status).toBe('pending');
		expect(draftText(fresh.doc)).not.toContain('Supervisor text');
		expect(draftText(agentTab.doc)).not.toContain('Supervisor text');
		disconnect(fresh);
	});
});

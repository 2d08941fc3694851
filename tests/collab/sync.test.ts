import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { connect, disconnect, sharedServer, waitFor } from './helpers.ts';
import { conversationDoc, draftText, readLabels, readMeta, readNotes } from '../../src/lib/conversation-doc.ts';
import { addLabel, addNote, setAssignee, setStatus } from '../../src/lib/conversation-edits.ts';

const shared = sharedServer();
const { db } = shared;

/** Types into the draft's first paragraph one character at a time, like an editor with a cursor. */
function typist(doc: Y.Doc, start: 'start' | 'end') {
	const { draft } = conversationDoc(doc);
	// The cursor sticks to the character before it, as y-prosemirror's does.
	let cursor: Y.RelativePosition | null = null;
	return (text: string) => {
		for (const ch of text || ['']) {
			doc.transact(() => {
				if (draft.length === 0) {
					const p = new Y.XmlElement('paragraph');
					p.insert(0, [new Y.XmlText()]);
					draft.insert(0, [p]);
				}
				const textNode = (draft.get(0) as Y.XmlElement).get(0) as Y.XmlText;
				if (!ch) return;
				const index = cursor ? Y.createAbsolutePositionFromRelativePosition(cursor, doc)!.index : start === 'start' ? 0 : textNode.length;
				textNode.insert(index, ch);
				cursor = Y.createRelativePositionFromTypeIndex(textNode, index + 1, -1);
			});
		}
	};
}

function typeInto(doc: Y.Doc, text: string, at: 'start' | 'end'): void {
	typist(doc, at)(text);
}

describe('two agents on one conversation', () => {
	it('two agents typing into the same draft at the same time converge to the same text', async () => {
		const conversationId = await shared.fx.newConversation();
		const name = `conversation:${conversationId}`;
		const a = connect(shared.server.url, name, shared.fx.agentA.token);
		const b = connect(shared.server.url, name, shared.fx.agentB.token);
		expect(await a.ready).toBe(true);
		expect(await b.ready).toBe(true);
		// The editor's empty paragraph exists before anyone types (Tiptap creates it on mount).
		typeInto(a.doc, '', 'end');
		await waitFor(() => conversationDoc(b.doc).draft.length === 1, 'the empty paragraph on B');
		const typing = [
			(async () => {
				const type = typist(a.doc, 'end');
				for (const chunk of ['Hello ', 'from ', 'Somchai']) {
					type(chunk);
					await new Promise((r) => setTimeout(r, 5));
				}
			})(),
			(async () => {
				const type = typist(b.doc, 'start');
				for (const chunk of ['Malee ', 'says ', 'hi ']) {
					type(chunk);
					await new Promise((r) => setTimeout(r, 5));
				}
			})()
		];
		await Promise.all(typing);
		const raw = (doc: Y.Doc) => ((conversationDoc(doc).draft.get(0) as Y.XmlElement).get(0) as Y.XmlText).toString();
		await waitFor(() => raw(a.doc) === raw(b.doc) && raw(a.doc).length === 32, 'drafts to converge');
		// Both agents' words survive intact; which run comes first depends on the Yjs client ids.
		expect(['Malee says hi Hello from Somchai', 'Hello from SomchaiMalee says hi ']).toContain(raw(a.doc));
		disconnect(a, b);
	});

	it('assignment, a note and a status change by one agent appear for the other and land in PostgreSQL rows', async () => {
		const a = connect(shared.server.url, shared.fx.docName, shared.fx.agentA.token);
		const b = connect(shared.server.url, shared.fx.docName, shared.fx.agentB.token);
		expect(await a.ready).toBe(true);
		expect(await b.ready).toBe(true);

		setAssignee(a.doc, shared.fx.agentB.userId);
		setStatus(a.doc, 'pending');
		addLabel(a.doc, 'vip');
		// The client claims to be someone else; the server stamps the real author.
		const note = addNote(a.doc, { body: 'Refund approved, @Malee please confirm', mentions: [shared.fx.agentB.userId], authorId: shared.fx.agentB.userId, authorName: 'Forged' });

		await waitFor(() => readMeta(b.doc).assigneeId === shared.fx.agentB.userId && readMeta(b.doc).status === 'pending', 'meta on B');
		await waitFor(() => readLabels(b.doc).includes('vip'), 'label on B');
		await waitFor(() => readNotes(b.doc).find((n) => n.id === note.id)?.authorId === shared.fx.agentA.userId, 'stamped note on B');
		expect(readNotes(b.doc).find((n) => n.id === note.id)?.authorName).toBe('Somchai');

		const row = await waitFor(async () => {
			const { rows } = await db.query('select status, assignee_id, labels from conversations where id = $1', [shared.fx.conversationId]);
			return rows[0].status === 'pending' && rows[0].assignee_id === shared.fx.agentB.userId && rows[0].labels.includes('vip') ? rows[0] : null;
		}, 'conversation row');
		expect(row.labels).toEqual(['vip']);
		const assignments = await db.query('select assignee_id, assigned_by from assignments where conversation_id = $1', [shared.fx.conversationId]);
		expect(assignments.rows).toEqual([{ assignee_id: shared.fx.agentB.userId, assigned_by: shared.fx.agentA.userId }]);
		const events = await db.query('select kind, actor_id, data from conversation_events where conversation_id = $1 order by id', [shared.fx.conversationId]);
		expect(events.rows.map((e) => e.kind).sort()).toEqual(['assignee', 'labels', 'status']);
		expect(events.rows.every((e) => e.actor_id === shared.fx.agentA.userId)).toBe(true);
		expect(events.rows.find((e) => e.kind === 'status')!.data).toMatchObject({ from: 'open', to: 'pending' });
		const notes = await waitFor(async () => (await db.query('select author_id, body, mentions from notes where id = $1', [note.id])).rows[0], 'note row');
		expect(notes).toEqual({ author_id: shared.fx.agentA.userId, body: note.body, mentions: [shared.fx.agentB.userId] });
		const notifications = await waitFor(
			async () => (await db.query(`select kind, actor_id from notifications where user_id = $1 and conversation_id = $2 order by kind`, [shared.fx.agentB.userId, shared.fx.conversationId])).rows,
			'notifications',
			5000
		).then(async () => (await db.query(`select kind, actor_id from notifications where user_id = $1 and conversation_id = $2 order by kind`, [shared.fx.agentB.userId, shared.fx.conversationId])).rows);
		expect(notifications).toEqual([
			{ kind: 'assigned', actor_id: shared.fx.agentA.userId },
			{ kind: 'mention', actor_id: shared.fx.agentA.userId }
		]);
		disconnect(a, b);
	});

	it('an invalid status or an assignee from outside the workspace is put back from PostgreSQL', async () => {
		const conversationId = await shared.fx.newConversation();
		const a = connect(shared.server.url, `conversation:${conversationId}`, shared.fx.agentA.token);
		expect(await a.ready).toBe(true);
		conversationDoc(a.doc).meta.set('status', 'deleted');
		conversationDoc(a.doc).meta.set('assigneeId', crypto.randomUUID());
		await waitFor(() => conversationDoc(a.doc).meta.get('status') === 'open' && conversationDoc(a.doc).meta.get('assigneeId') === null, 'revert');
		const { rows } = await db.query('select status, assignee_id from conversations where id = $1', [conversationId]);
		expect(rows[0]).toEqual({ status: 'open', assignee_id: null });
		disconnect(a);
	});

	it("a supervisor sees the live draft but the supervisor's edits do not reach others", async () => {
		const conversationId = await shared.fx.newConversation();
		const name = `conversation:${conversationId}`;
		const agent = connect(shared.server.url, name, shared.fx.agentA.token);
		const supervisor = connect(shared.server.url, name, shared.fx.supervisor.token);
		expect(await agent.ready).toBe(true);
		expect(await supervisor.ready).toBe(true);
		expect(supervisor.provider.authorizedScope).toBe('readonly');

		typeInto(agent.doc, 'Agent text', 'end');
		await waitFor(() => draftText(supervisor.doc) === 'Agent text', 'supervisor to see the draft');

		typeInto(supervisor.doc, 'SUPERVISOR ', 'start');
		setStatus(supervisor.doc, 'resolved');
		// A marker edit by the agent after the supervisor's: once it arrives, anything the server
		// had accepted from the supervisor would have arrived too.
		addLabel(agent.doc, 'marker');
		const third = connect(shared.server.url, name, shared.fx.agentB.token);
		expect(await third.ready).toBe(true);
		await waitFor(() => readLabels(third.doc).includes('marker'), 'marker');
		expect(draftText(third.doc)).toBe('Agent text');
		expect(draftText(agent.doc)).toBe('Agent text');
		expect(readMeta(third.doc).status).toBe('open');
		const { rows } = await db.query('select status from conversations where id = $1', [conversationId]);
		expect(rows[0].status).toBe('open');
		disconnect(agent, supervisor, third);
	});

	it('a spoofed awareness identity is replaced by the real one', async () => {
		const a = connect(shared.server.url, shared.fx.docName, shared.fx.agentA.token);
		const b = connect(shared.server.url, shared.fx.docName, shared.fx.agentB.token);
		expect(await a.ready).toBe(true);
		expect(await b.ready).toBe(true);
		a.provider.setAwarenessField('user', { id: shared.fx.agentB.userId, name: 'The Boss', color: '#000000', role: 'owner' });
		a.provider.setAwarenessField('typing', true);
		const seen = await waitFor(() => {
			const state = b.provider.awareness!.getStates().get(a.doc.clientID);
			return state?.typing === true ? state : null;
		}, "A's presence on B");
		expect(seen!.user).toMatchObject({ id: shared.fx.agentA.userId, name: 'Somchai', role: 'agent' });
		expect(seen!.user.color).toMatch(/^#[0-9a-f]{6}$/);
		disconnect(a, b);
	});
});

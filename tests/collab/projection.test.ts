import { describe, expect, it } from 'vitest';
import { connect, disconnect, sharedServer, waitFor } from './helpers.ts';
import { conversationDoc, readLabels, readMeta } from '../../src/lib/conversation-doc.ts';

/**
 * The projection translates an agent's document edits into the conversation commands: what a
 * command accepts is stored, what it refuses is put back in the document from PostgreSQL.
 */

const shared = sharedServer();

async function open(token: string) {
	const conversationId = await shared.fx.newConversation();
	const tab = connect(shared.server.url, `conversation:${conversationId}`, token);
	expect(await tab.ready).toBe(true);
	return { conversationId, tab };
}

async function row(conversationId: string) {
	return (await shared.db.query('select status, snoozed_until, assignee_id, labels from conversations where id = $1', [conversationId])).rows[0];
}

describe('an agent editing the live document', () => {
	it('stores the valid labels of the set and drops an invalid one from the document', async () => {
		const { conversationId, tab } = await open(shared.fx.agentA.token);
		const { labels } = conversationDoc(tab.doc);
		tab.doc.transact(() => {
			labels.set('vip', true);
			labels.set('  not a label', true);
		});
		await waitFor(() => readLabels(tab.doc).join() === 'vip', 'the invalid label dropped');
		await waitFor(async () => (await row(conversationId)).labels.join() === 'vip', 'the label stored');
		const events = await shared.db.query(`select actor_id, data from conversation_events where conversation_id = $1 and kind = 'labels'`, [conversationId]);
		expect(events.rows).toEqual([{ actor_id: shared.fx.agentA.userId, data: { added: ['vip'], removed: [] } }]);
		disconnect(tab);
	});

	it('puts back an assignee who may not reply and a snooze without a time', async () => {
		const { conversationId, tab } = await open(shared.fx.agentA.token);
		const { meta } = conversationDoc(tab.doc);
		meta.set('assigneeId', shared.fx.supervisor.userId);
		meta.set('status', 'snoozed');
		await waitFor(() => readMeta(tab.doc).assigneeId === null && readMeta(tab.doc).status === 'open', 'both put back');
		expect(await row(conversationId)).toMatchObject({ status: 'open', snoozed_until: null, assignee_id: null });
		disconnect(tab);
	});

	it('snoozes with a time, stored as the status command writes it', async () => {
		const { conversationId, tab } = await open(shared.fx.agentA.token);
		const until = new Date(Date.now() + 3_600_000).toISOString();
		tab.doc.transact(() => {
			conversationDoc(tab.doc).meta.set('status', 'snoozed');
			conversationDoc(tab.doc).meta.set('snoozedUntil', until);
		});
		await waitFor(async () => (await row(conversationId)).status === 'snoozed', 'the snooze stored');
		expect((await row(conversationId)).snoozed_until.toISOString()).toBe(until);
		const events = await shared.db.query(`select actor_id, data from conversation_events where conversation_id = $1 and kind = 'status'`, [conversationId]);
		expect(events.rows).toEqual([{ actor_id: shared.fx.agentA.userId, data: { from: 'open', to: 'snoozed', snoozedUntil: until } }]);
		disconnect(tab);
	});
});

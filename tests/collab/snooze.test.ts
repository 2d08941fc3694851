import { describe, expect, it } from 'vitest';
import { connect, disconnect, sharedServer, waitFor } from './helpers.ts';
import { readMeta } from '../../src/lib/conversation-doc.ts';
import { wakeSnoozed } from '../../src/lib/server/snooze.ts';

/** A snooze that runs out reopens the conversation, in PostgreSQL and live (src/lib/server/snooze.ts). */

const shared = sharedServer();
const { db } = shared;

async function snooze(conversationId: string, until: string): Promise<void> {
	await db.query(`update conversations set status = 'snoozed', snoozed_until = now() + $2::interval where id = $1`, [conversationId, until]);
}

describe('wakeSnoozed', () => {
	it('reopens a conversation whose snooze ended, for the agent who has it open too, and leaves a later one alone', async () => {
		const due = await shared.fx.newConversation();
		const later = await shared.fx.newConversation();
		await snooze(due, '-1 minute');
		await snooze(later, '1 hour');
		await db.query('update conversations set assignee_id = $2 where id = $1', [due, shared.fx.agentA.userId]);
		const client = connect(shared.server.url, `conversation:${due}`, shared.fx.agentA.token);
		expect(await client.ready).toBe(true);
		expect(readMeta(client.doc).status).toBe('snoozed');

		const woken = await wakeSnoozed(db, shared.server.collab.live);
		expect(woken.map((c) => c.id)).toContain(due);
		expect(woken.map((c) => c.id)).not.toContain(later);

		await waitFor(() => readMeta(client.doc).status === 'open' && readMeta(client.doc).snoozedUntil === null, 'the agent to see it reopen');
		const { rows } = await db.query(`select id, status, snoozed_until from conversations where id = any($1) order by status`, [[due, later]]);
		expect(rows.map((r) => [r.id, r.status, r.snoozed_until === null])).toEqual([
			[due, 'open', true],
			[later, 'snoozed', false]
		]);
		const events = await db.query(`select data from conversation_events where conversation_id = $1`, [due]);
		expect(events.rows.map((r) => r.data)).toEqual([{ from: 'snoozed', to: 'open', reason: 'snooze_ended' }]);
		// The assignee is told; nobody else is.
		const told = await db.query(`select user_id, kind from notifications where conversation_id = $1`, [due]);
		expect(told.rows).toEqual([{ user_id: shared.fx.agentA.userId, kind: 'snooze_ended' }]);
		disconnect(client);
	});

	it('wakes a conversation once, however many sweeps run', async () => {
		const due = await shared.fx.newConversation();
		await snooze(due, '-5 minutes');
		const [a, b] = await Promise.all([wakeSnoozed(db, shared.server.collab.live), wakeSnoozed(db, shared.server.collab.live)]);
		expect([...a, ...b].filter((c) => c.id === due)).toHaveLength(1);
		const events = await db.query(`select 1 from conversation_events where conversation_id = $1`, [due]);
		expect(events.rowCount).toBe(1);
	});
});

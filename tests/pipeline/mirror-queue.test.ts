import { afterAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { createFixture } from '../collab/helpers.ts';
import { MIRROR_COLUMNS, mirrorMessages, mirrorSweep, queueMirrorSql, type MirrorRow } from '../../connectors/pipeline/mirror.ts';
import type { LiveAppend, LiveDocuments } from '../../src/lib/server/ports.ts';

/** What `message_mirror_queue` promises (migration 0008), against a recording LiveDocuments. */
const db = testPool();
afterAll(() => db.end());

function recordingLive(fail = false) {
	const appended: LiveAppend[] = [];
	const live = {
		appendMessages: async (appends: readonly LiveAppend[]) => {
			appended.push(...appends);
			return appends.map(() => (fail ? { status: 'rejected' as const, reason: new Error('document would not load') } : { status: 'fulfilled' as const, value: undefined }));
		}
	} as unknown as LiveDocuments;
	return { live, appended };
}

async function outgoing(state: string): Promise<{ fx: Awaited<ReturnType<typeof createFixture>>; row: MirrorRow }> {
	const fx = await createFixture(db);
	const { rows } = await db.query<MirrorRow>(
		`with inserted as (
		   insert into messages (workspace_id, conversation_id, connection_id, direction, sender_type, body, delivery_state)
		   values ($1, $2, $3, 'out', 'agent', 'On its way', $4) returning ${MIRROR_COLUMNS}
		 ), queued as (${queueMirrorSql('inserted')})
		 select * from inserted`,
		[fx.workspaceId, fx.conversationId, fx.connectionId, state]
	);
	return { fx, row: rows[0] };
}

const queued = async (messageId: string) => (await db.query<{ delivery_state: string }>('select delivery_state from message_mirror_queue where message_id = $1', [messageId])).rows[0];

describe('the mirror queue', () => {
	it('holds a message from the statement that writes it until its document has it', async () => {
		const { row } = await outgoing('queued');
		expect(await queued(row.id)).toEqual({ delivery_state: 'queued' });
		const { live, appended } = recordingLive();
		expect(await mirrorMessages(db, live, [row], () => ({ source: 'outbox' }))).toBe(1);
		expect(appended[0].messages.map((m) => [m.id, m.deliveryState])).toEqual([[row.id, 'queued']]);
		expect(await queued(row.id)).toBeUndefined();
	});

	it('keeps a message whose state changed while it was being mirrored, with the newer state', async () => {
		const { row } = await outgoing('queued');
		// The outbox marks it sent (and queues that) after the row above was read for mirroring.
		await db.query(
			`with updated as (update messages set delivery_state = 'sent' where id = $1 returning ${MIRROR_COLUMNS}), queued as (${queueMirrorSql('updated')}) select 1`,
			[row.id]
		);
		const { live } = recordingLive();
		await mirrorMessages(db, live, [row], () => ({ source: 'outbox' }));
		expect(await queued(row.id)).toEqual({ delivery_state: 'sent' });
	});

	it('keeps a message its document would not take, and the sweep replays it', async () => {
		const { row } = await outgoing('failed');
		const failing = recordingLive(true);
		expect(await mirrorMessages(db, failing.live, [row], () => ({ source: 'outbox' }))).toBe(0);
		expect(await queued(row.id)).toEqual({ delivery_state: 'failed' });
		const { live, appended } = recordingLive();
		await mirrorSweep(db, live);
		expect(appended.flatMap((a) => a.messages.map((m) => m.id))).toContain(row.id);
		expect(await queued(row.id)).toBeUndefined();
	});

	it('leaves the message rows alone: marking them mirrored is not an update of messages', async () => {
		const { row } = await outgoing('queued');
		const before = await db.query('select xmin::text as version from messages where id = $1', [row.id]);
		const { live } = recordingLive();
		await mirrorMessages(db, live, [row], () => ({ source: 'outbox' }));
		const after = await db.query('select xmin::text as version from messages where id = $1', [row.id]);
		expect(after.rows[0].version).toBe(before.rows[0].version);
	});

	it('goes with its message when the message is deleted', async () => {
		const { row } = await outgoing('queued');
		await db.query('delete from messages where id = $1', [row.id]);
		expect(await queued(row.id)).toBeUndefined();
	});
});

import { afterAll, describe, expect, it } from 'vitest';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { seedConversation, seedWorkspace } from '../helpers/seed.ts';
import { createSession } from '../../src/lib/server/auth/session.ts';
import { authenticate } from '../../src/lib/server/auth/principal.ts';
import { scopeFor } from '../../src/lib/server/scope.ts';
import { floorReport } from '../../src/lib/server/floor.ts';
import { connect, disconnect, startServer, waitFor } from '../collab/helpers.ts';
import { workspaceFeedName } from '../../src/lib/live-feed.ts';

/**
 * The supervisor's floor (issue 13, item 3): the queue waiting on us with its longest wait and what
 * each member holds, as of now; who is online comes from the presence on the workspace feed.
 */

const db = testPool();
afterAll(() => db.end());

describe("the supervisor's floor", () => {
	it('counts the conversations waiting on a reply, the longest wait, and what each member holds', async () => {
		const ws = await seedWorkspace(db, 'supervisor');
		const agent = await db.query(`insert into users (email, name, password_hash) values ($1, 'Somchai', 'x') returning id`, [uniqueEmail('floor')]);
		const agentId = agent.rows[0].id as string;
		await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, 'agent')`, [ws.workspaceId, agentId]);
		const minutesAgo = (m: number) => new Date(Date.now() - m * 60_000);
		const waitingLong = await seedConversation(db, ws, { customer: 'A', messages: ['hello?'], at: minutesAgo(30) });
		const waitingMine = await seedConversation(db, ws, { customer: 'B', messages: ['still there?'], at: minutesAgo(10), assigneeId: agentId });
		const answered = await seedConversation(db, ws, { customer: 'C', messages: ['thanks'], at: minutesAgo(5), assigneeId: agentId });
		await seedConversation(db, ws, { customer: 'D', messages: ['bye'], at: minutesAgo(60), status: 'resolved' });
		// The customer wrote last in A and B; in C the agent answered after.
		await db.query(`update conversations set last_customer_message_at = last_message_at where id = any($1::uuid[])`, [[waitingLong, waitingMine]]);
		await db.query(`update conversations set last_customer_message_at = last_message_at - interval '1 minute' where id = $1`, [answered]);

		const { token } = await createSession(db, ws.userId, ws.workspaceId);
		const scope = await scopeFor(db, (await authenticate(db, token))!, ws.workspaceId);
		const floor = await floorReport(db, scope);
		expect(floor.queue).toMatchObject({ waiting: 2, unassigned: 1 });
		const waited = (Date.parse(floor.at) - Date.parse(floor.queue.oldestWaitingSince!)) / 60_000;
		expect(Math.round(waited)).toBe(30);
		const somchai = floor.members.find((m) => m.userId === agentId)!;
		expect(somchai).toMatchObject({ name: 'Somchai', role: 'agent', holding: 2, waiting: 1 });
		expect(floor.members.find((m) => m.userId === ws.userId)).toMatchObject({ holding: 0, waiting: 0, oldestWaitingSince: null });
	});

	it('shows each member connected to the workspace feed to the others, stamped by the server', async () => {
		const ws = await seedWorkspace(db, 'supervisor');
		const agent = await db.query(`insert into users (email, name, password_hash) values ($1, 'Malee', 'x') returning id`, [uniqueEmail('floor')]);
		const agentId = agent.rows[0].id as string;
		await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, 'agent')`, [ws.workspaceId, agentId]);
		const server = await startServer(db);
		try {
			const supervisor = connect(server.url, workspaceFeedName(ws.workspaceId), (await createSession(db, ws.userId, ws.workspaceId)).token);
			const present = connect(server.url, workspaceFeedName(ws.workspaceId), (await createSession(db, agentId, ws.workspaceId)).token);
			expect(await supervisor.ready).toBe(true);
			expect(await present.ready).toBe(true);
			// The client claims to be someone else; the server says who it is.
			present.provider.setAwarenessField('user', { id: ws.userId, name: 'Not Malee' });
			present.provider.setAwarenessField('online', true);
			const seen = await waitFor(() => {
				const states = [...supervisor.provider.awareness!.getStates().values()] as { user?: { id: string; name: string } }[];
				return states.find((s) => s.user?.id === agentId);
			}, 'the agent present on the feed');
			expect(seen.user?.name).toBe('Malee');
			disconnect(supervisor, present);
		} finally {
			await server.close();
		}
	});
});

import type { Queryable } from './db.ts';
import type { Role, WorkspaceScope } from './scope.ts';
import * as q from './report-queries.ts';

/**
 * The supervisor's floor, as of now: the queue (open conversations whose last message is the
 * customer's, so waiting on us) with the longest wait, and what each member holds. Who is online
 * is not here: the browser reads it from the presence on the workspace feed (`LiveFeed.online`).
 * Any member may read it; the dashboard reads it again whenever the live channel says the figures
 * moved. Its SQL is in report-queries.ts.
 */
export interface FloorMember {
	userId: string;
	name: string;
	role: Role;
	/** Open or pending conversations assigned to them. */
	holding: number;
	/** Of those, waiting on a reply. */
	waiting: number;
	/** When the longest-waiting of those last heard from its customer. */
	oldestWaitingSince: string | null;
}

export interface FloorReport {
	at: string;
	queue: {
		/** Open conversations waiting on a reply. */
		waiting: number;
		/** Of those, nobody's yet. */
		unassigned: number;
		/** When the longest-waiting one last heard from its customer. */
		oldestWaitingSince: string | null;
	};
	members: FloorMember[];
}

export async function floorReport(db: Queryable, scope: WorkspaceScope): Promise<FloorReport> {
	scope.require('read');
	const [queue, members, now] = await Promise.all([
		q.floorQueue(db, scope.workspaceId),
		q.floorMembers(db, scope.workspaceId),
		db.query<{ at: Date }>(`select now() as at`)
	]);
	return {
		at: now.rows[0].at.toISOString(),
		queue: { waiting: queue.waiting, unassigned: queue.unassigned, oldestWaitingSince: queue.oldest?.toISOString() ?? null },
		members: members.map((r) => ({
			userId: r.id,
			name: r.name,
			role: r.role,
			holding: r.holding,
			waiting: r.waiting,
			oldestWaitingSince: r.oldest?.toISOString() ?? null
		}))
	};
}

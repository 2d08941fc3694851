import type { Queryable } from './db.ts';
import type { Role, WorkspaceScope } from './scope.ts';

/**
 * The supervisor's floor, as of now: the queue (open conversations whose last message is the
 * customer's, so waiting on us) with the longest wait, and what each member holds. Who is online
 * is not here: the browser reads it from the presence on the workspace feed (`LiveFeed.online`).
 * Any member may read it; the dashboard reads it again whenever the live channel says the figures
 * moved.
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

const WAITING = `c.status = 'open' and c.last_customer_message_at is not null and c.last_customer_message_at >= c.last_message_at`;

export async function floorReport(db: Queryable, scope: WorkspaceScope): Promise<FloorReport> {
	scope.require('read');
	const [queue, members, now] = await Promise.all([
		db.query(
			`select count(*)::int as waiting, count(*) filter (where c.assignee_id is null)::int as unassigned, min(c.last_customer_message_at) as oldest
			   from conversations c where c.workspace_id = $1 and ${WAITING}`,
			[scope.workspaceId]
		),
		db.query(
			`select u.id, u.name, m.role,
			        count(c.id) filter (where c.status in ('open', 'pending'))::int as holding,
			        count(c.id) filter (where ${WAITING})::int as waiting,
			        min(c.last_customer_message_at) filter (where ${WAITING}) as oldest
			   from memberships m
			   join users u on u.id = m.user_id
			   left join conversations c on c.workspace_id = m.workspace_id and c.assignee_id = m.user_id
			  where m.workspace_id = $1
			  group by u.id, u.name, m.role
			  order by u.name, u.id`,
			[scope.workspaceId]
		),
		db.query(`select now() as at`)
	]);
	const q = queue.rows[0];
	return {
		at: (now.rows[0].at as Date).toISOString(),
		queue: { waiting: q.waiting, unassigned: q.unassigned, oldestWaitingSince: q.oldest?.toISOString() ?? null },
		members: members.rows.map((r) => ({
			userId: r.id,
			name: r.name,
			role: r.role,
			holding: r.holding,
			waiting: r.waiting,
			oldestWaitingSince: r.oldest?.toISOString() ?? null
		}))
	};
}

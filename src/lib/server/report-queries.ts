import type { Queryable } from './db.ts';
import type { ReportBucket } from './reports.ts';
import type { Role } from './scope.ts';

/**
 * The SQL behind the overview report (reports.ts) and the floor (floor.ts), one function per statement, each with the type of
 * the rows it returns. Every statement is an aggregate over an index range of one workspace.
 * Parameters: $1 workspace, $2 from, $3 to (the period), $4 the workspace's time zone where used.
 */

/** The period's window: $1 workspace, $2 from, $3 to. */
export type PeriodParams = [workspaceId: string, from: Date, to: Date];

// A reply that counts: an agent's or the AI's message that did not fail. Uses alias m.
const REPLY = `m.direction = 'out' and m.sender_type in ('agent', 'ai') and m.delivery_state is distinct from 'failed'`;
const CUSTOMER = `m.direction = 'in' and m.sender_type = 'customer'`;

export interface BucketRow {
	/** Local wall-clock start, 'YYYY-MM-DDTHH:MI'. */
	key: string;
	start: Date;
}

/** One row per hour of today or per day of the period, starting at local midnight `days - 1` days ago. */
export async function periodBuckets(db: Queryable, now: Date, timeZone: string, days: number, bucket: ReportBucket): Promise<BucketRow[]> {
	// Arithmetic on local wall-clock time, then back to an instant.
	const { rows } = await db.query<BucketRow>(
		`select to_char(b, 'YYYY-MM-DD"T"HH24:MI') as key, b at time zone $2 as start
		   from generate_series(date_trunc('day', $1::timestamptz at time zone $2) - make_interval(days => $3),
		                        date_trunc('day', $1::timestamptz at time zone $2) + interval '1 day' - $4::interval,
		                        $4::interval) as b
		  order by b`,
		[now, timeZone, days - 1, `1 ${bucket}`]
	);
	return rows;
}

/** Counts come back from PostgreSQL as text (bigint). */
export interface TotalsRow {
	new_conversations: string;
	open: string;
	pending: string;
	snoozed: string;
	unassigned_open: string;
}

export async function totals(db: Queryable, period: PeriodParams): Promise<TotalsRow> {
	const { rows } = await db.query<TotalsRow>(
		`select
		   (select count(*) from conversations c where c.workspace_id = $1 and c.created_at >= $2 and c.created_at < $3) as new_conversations,
		   (select count(*) from conversations c where c.workspace_id = $1 and c.status = 'open') as open,
		   (select count(*) from conversations c where c.workspace_id = $1 and c.status = 'pending') as pending,
		   (select count(*) from conversations c where c.workspace_id = $1 and c.status = 'snoozed') as snoozed,
		   (select count(*) from conversations c where c.workspace_id = $1 and c.status = 'open' and c.assignee_id is null) as unassigned_open`,
		period
	);
	return rows[0];
}

/** The kinds of figure rows `messageFigures` returns, each keyed by bucket, agent id or platform. */
export type FigureKind = 'all' | 'bucket' | 'agent' | 'platform' | 'first' | 'first-bucket' | 'first-agent' | 'first-platform';

export interface FigureRow {
	kind: FigureKind;
	key: string | null;
	customer: string;
	replies: string;
	/** First responses (the `first*` kinds). */
	n: string | null;
	median: number | null;
	p90: number | null;
}

/**
 * One pass over the period's messages: customer messages and replies, and of the conversations
 * replied to in it, those whose first response fell in it (two index lookups each,
 * messages_history_idx, nothing per row). `local` turns a column into its local bucket key.
 */
export async function messageFigures(db: Queryable, period: PeriodParams, timeZone: string, bucket: ReportBucket): Promise<FigureRow[]> {
	const local = (column: string) => `to_char(date_trunc('${bucket}', ${column} at time zone $4), 'YYYY-MM-DD"T"HH24:MI')`;
	const { rows } = await db.query<FigureRow>(
		`with period as materialized (
		   select m.conversation_id, m.connection_id, m.author_id, m.sent_at, (${CUSTOMER}) as customer, (${REPLY}) as reply
		     from messages m
		    where m.workspace_id = $1 and m.sent_at >= $2 and m.sent_at < $3
		 ), firsts as materialized (
		   select r.conversation_id, r.connection_id, fr.author_id, fr.sent_at,
		          extract(epoch from fr.sent_at - fc.sent_at)::float8 as wait
		     from (select distinct conversation_id, connection_id from period where reply) r
		     cross join lateral (
		       select m.sent_at from messages m
		        where m.conversation_id = r.conversation_id and m.workspace_id = $1 and ${CUSTOMER}
		        order by m.sent_at, m.id limit 1
		     ) fc
		     cross join lateral (
		       select m.sent_at, m.author_id from messages m
		        where m.conversation_id = r.conversation_id and m.workspace_id = $1 and ${REPLY} and m.sent_at >= fc.sent_at
		        order by m.sent_at, m.id limit 1
		     ) fr
		    where fr.sent_at >= $2 and fr.sent_at < $3
		 ), platforms as (
		   select id, platform from platform_connections where workspace_id = $1
		 )
		 select 'all' as kind, null as key, count(*) filter (where customer) as customer, count(*) filter (where reply) as replies,
		        null::bigint as n, null::float8 as median, null::float8 as p90
		   from period
		 union all
		 select 'bucket', ${local('sent_at')}, count(*) filter (where customer), 0, null, null, null from period group by 2
		 union all
		 select 'agent', author_id::text, 0, count(*) filter (where reply), null, null, null from period where author_id is not null group by 2
		 union all
		 select 'platform', pc.platform, count(*) filter (where customer), 0, null, null, null
		   from period p join platforms pc on pc.id = p.connection_id group by 2
		 union all
		 select 'first', null, 0, 0, count(*), percentile_cont(0.5) within group (order by wait), percentile_cont(0.9) within group (order by wait)
		   from firsts
		 union all
		 select 'first-bucket', ${local('sent_at')}, 0, 0, count(*), percentile_cont(0.5) within group (order by wait), null from firsts group by 2
		 union all
		 select 'first-agent', author_id::text, 0, 0, count(*), percentile_cont(0.5) within group (order by wait), null
		   from firsts where author_id is not null group by 2
		 union all
		 select 'first-platform', pc.platform, 0, 0, count(*), percentile_cont(0.5) within group (order by wait), null
		   from firsts f join platforms pc on pc.id = f.connection_id group by 2`,
		[...period, timeZone]
	);
	return rows;
}

export interface ResolutionRow {
	kind: 'all' | 'agent';
	key: string | null;
	n: string;
	median: number | null;
}

/** Resolutions in the period, each conversation once (its last), overall and per resolving agent. */
export async function resolutions(db: Queryable, period: PeriodParams): Promise<ResolutionRow[]> {
	const { rows } = await db.query<ResolutionRow>(
		`with resolved as materialized (
		   select distinct on (e.conversation_id) e.conversation_id, e.actor_id,
		          extract(epoch from e.created_at - c.created_at)::float8 as took
		     from conversation_events e
		     join conversations c on c.id = e.conversation_id and c.workspace_id = $1
		    where e.workspace_id = $1 and e.created_at >= $2 and e.created_at < $3
		      and e.kind = 'status' and e.data ->> 'to' = 'resolved'
		    order by e.conversation_id, e.created_at desc, e.id desc
		 )
		 select 'all' as kind, null as key, count(*) as n, percentile_cont(0.5) within group (order by took) as median from resolved
		 union all
		 select 'agent', actor_id::text, count(*), null from resolved where actor_id is not null group by 2`,
		period
	);
	return rows;
}

export interface NoteCountRow {
	key: string;
	n: string;
}

/** Internal notes written in the period, per author. */
export async function noteCounts(db: Queryable, period: PeriodParams): Promise<NoteCountRow[]> {
	const { rows } = await db.query<NoteCountRow>(
		`select n.author_id::text as key, count(*) as n from notes n
		  where n.workspace_id = $1 and n.created_at >= $2 and n.created_at < $3 and n.author_id is not null
		  group by 1`,
		period
	);
	return rows;
}

export interface MemberLoadRow {
	user_id: string;
	name: string;
	role: string;
	open_assigned: string;
}

/** Every member with the open conversations assigned to them now. */
export async function memberLoads(db: Queryable, workspaceId: string): Promise<MemberLoadRow[]> {
	const { rows } = await db.query<MemberLoadRow>(
		`select u.id::text as user_id, u.name, m.role, coalesce(o.n, 0) as open_assigned
		   from memberships m
		   join users u on u.id = m.user_id
		   left join (
		     select c.assignee_id, count(*) as n from conversations c
		      where c.workspace_id = $1 and c.status = 'open' and c.assignee_id is not null
		      group by 1
		   ) o on o.assignee_id = m.user_id
		  where m.workspace_id = $1`,
		[workspaceId]
	);
	return rows;
}

export interface PlatformConversationsRow {
	platform: string;
	conversations: string;
}

/** Conversations started in the period per platform, for every platform connected or with figures. */
export async function platformConversations(db: Queryable, period: PeriodParams): Promise<PlatformConversationsRow[]> {
	const { rows } = await db.query<PlatformConversationsRow>(
		`select p.platform, coalesce(n.n, 0) as conversations
		   from (select distinct platform from platform_connections where workspace_id = $1 and status = 'active'
		         union select distinct c.platform from conversations c where c.workspace_id = $1 and c.created_at >= $2 and c.created_at < $3) p
		   left join (select c.platform, count(*) as n from conversations c
		               where c.workspace_id = $1 and c.created_at >= $2 and c.created_at < $3 group by 1) n on n.platform = p.platform`,
		period
	);
	return rows;
}

// The supervisor's floor (floor.ts): open conversations whose last message is the customer's. Uses alias c.
const WAITING = `c.status = 'open' and c.last_customer_message_at is not null and c.last_customer_message_at >= c.last_message_at`;

export interface FloorQueueRow {
	waiting: number;
	unassigned: number;
	oldest: Date | null;
}

/** The workspace's queue now: conversations waiting on a reply, nobody's yet, the longest wait. */
export async function floorQueue(db: Queryable, workspaceId: string): Promise<FloorQueueRow> {
	const { rows } = await db.query<FloorQueueRow>(
		`select count(*)::int as waiting, count(*) filter (where c.assignee_id is null)::int as unassigned, min(c.last_customer_message_at) as oldest
		   from conversations c where c.workspace_id = $1 and ${WAITING}`,
		[workspaceId]
	);
	return rows[0];
}

export interface FloorMemberRow {
	id: string;
	name: string;
	role: Role;
	holding: number;
	waiting: number;
	oldest: Date | null;
}

/** What each member holds now (open or pending), and of that what waits on a reply. */
export async function floorMembers(db: Queryable, workspaceId: string): Promise<FloorMemberRow[]> {
	const { rows } = await db.query<FloorMemberRow>(
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
		[workspaceId]
	);
	return rows;
}

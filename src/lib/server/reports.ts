import { z } from 'zod';
import type { Queryable } from './db.ts';
import type { WorkspaceScope } from './scope.ts';

/**
 * The supervisor's dashboard and `GET /api/v1/reports/overview`: volumes, response and resolution
 * times, per agent and per platform, over a period counted in the workspace's own time zone.
 *
 * First response time is measured from the messages themselves — the first customer message of a
 * conversation to the first agent or AI reply after it (a failed delivery is no reply) — not from
 * conversations.first_response_at: that column is a marker for the inbox list, set once by the
 * pipeline when the first seller message is sent (outbox) or echoed from the platform (ingest), and
 * it says nothing of which customer message was waiting. A first response belongs to the period it
 * was given in. Resolution time runs from the conversation's start to a change of status
 * to resolved, counted once per conversation (its last resolution in the period).
 *
 * Every figure is a SQL aggregate over an index range of one workspace; the statements run side by
 * side, never one per conversation or per agent.
 */

export const REPORT_PERIODS = ['today', '7d', '30d'] as const;
export type ReportPeriod = (typeof REPORT_PERIODS)[number];

export const reportQuery = z.object({
	/** @default '7d' */
	period: z.enum(REPORT_PERIODS).default('7d')
});
export type ReportQuery = z.input<typeof reportQuery>;

export type ReportBucket = 'hour' | 'day';

/** Where most of our sellers are; also the fallback for a zone PostgreSQL would not know. */
const DEFAULT_TIME_ZONE = 'Asia/Bangkok';

/** Calendar days back from today (today counts as one) and the width of one chart bar. */
const PERIODS: Record<ReportPeriod, { days: number; bucket: ReportBucket }> = {
	today: { days: 1, bucket: 'hour' },
	'7d': { days: 7, bucket: 'day' },
	'30d': { days: 30, bucket: 'day' }
};

export interface ReportTotals {
	/** Conversations that started in the period. */
	newConversations: number;
	/** Right now, whatever the period. */
	open: number;
	pending: number;
	snoozed: number;
	/** Open right now and assigned to nobody. */
	unassignedOpen: number;
	/** Conversations whose status changed to resolved in the period (each once). */
	resolved: number;
	customerMessages: number;
	/** Agent and AI replies in the period, queued or delivered (failed ones are not counted). */
	repliesSent: number;
}

export interface ReportSeriesPoint {
	/** Start of the hour or day, as an instant (ISO 8601, UTC). */
	start: string;
	customerMessages: number;
	firstResponses: number;
	firstResponseMedianSeconds: number | null;
}

export interface AgentRow {
	userId: string;
	name: string;
	role: string;
	/** Open conversations assigned to them right now. */
	openAssigned: number;
	repliesSent: number;
	/** Conversations they changed to resolved in the period. */
	resolved: number;
	/** Median of the first responses they gave in the period. */
	firstResponseMedianSeconds: number | null;
	notes: number;
}

export interface PlatformRow {
	platform: string;
	/** Conversations that started in the period. */
	conversations: number;
	customerMessages: number;
	firstResponseMedianSeconds: number | null;
}

export interface OverviewReport {
	period: {
		key: ReportPeriod;
		/** Start of the first day (or of today), in the workspace's zone, as an instant. */
		from: string;
		/** The moment the report was made; figures count up to it. */
		to: string;
		timeZone: string;
		bucket: ReportBucket;
	};
	totals: ReportTotals;
	firstResponse: { count: number; medianSeconds: number | null; p90Seconds: number | null };
	resolution: { medianSeconds: number | null };
	/** One point per hour of today, or per day of the period, oldest first; empty ones included. */
	series: ReportSeriesPoint[];
	/** Members who can reply, and anyone else with figures in the period; by replies, then name. */
	agents: AgentRow[];
	/** Platforms with an active connection or figures in the period. */
	platforms: PlatformRow[];
}

export interface ReportOptions extends ReportQuery {
	/** The instant the report is made at (tests pin it). @default new Date() */
	now?: Date;
}

function validZone(zone: string | null | undefined): string {
	if (!zone) return DEFAULT_TIME_ZONE;
	try {
		new Intl.DateTimeFormat('en', { timeZone: zone });
		return zone;
	} catch {
		return DEFAULT_TIME_ZONE;
	}
}

const seconds = (value: number | string | null): number | null => (value === null ? null : Math.round(Number(value)));
const count = (value: number | string | null | undefined): number => Number(value ?? 0);

// A reply that counts: an agent's or the AI's message that did not fail. Uses alias m.
const REPLY = `m.direction = 'out' and m.sender_type in ('agent', 'ai') and m.delivery_state is distinct from 'failed'`;
const CUSTOMER = `m.direction = 'in' and m.sender_type = 'customer'`;

export async function overviewReport(db: Queryable, scope: WorkspaceScope, options: ReportOptions = {}): Promise<OverviewReport> {
	scope.require('read');
	const { period } = reportQuery.parse({ period: options.period });
	const { days, bucket } = PERIODS[period];
	const now = options.now ?? new Date();

	const ws = await db.query<{ time_zone: string }>('select time_zone from workspaces where id = $1', [scope.workspaceId]);
	const timeZone = validZone(ws.rows[0]?.time_zone);
	// One row per hour of today or per day of the period. The period starts at local midnight
	// `days - 1` days ago: arithmetic on local wall-clock time, then back to an instant.
	const { rows: buckets } = await db.query<{ key: string; start: Date }>(
		`select to_char(b, 'YYYY-MM-DD"T"HH24:MI') as key, b at time zone $2 as start
		   from generate_series(date_trunc('day', $1::timestamptz at time zone $2) - make_interval(days => $3),
		                        date_trunc('day', $1::timestamptz at time zone $2) + interval '1 day' - $4::interval,
		                        $4::interval) as b
		  order by b`,
		[now, timeZone, days - 1, `1 ${bucket}`]
	);
	const from = buckets[0].start;
	const base = [scope.workspaceId, from, now];
	// $1 workspace, $2 from, $3 to, $4 time zone; the local bucket of an instant, as text like the keys above.
	const local = (column: string) => `to_char(date_trunc('${bucket}', ${column} at time zone $4), 'YYYY-MM-DD"T"HH24:MI')`;

	const [totals, messages, resolutions, notes, members, platformRows] = await Promise.all([
		db.query(
			`select
			   (select count(*) from conversations c where c.workspace_id = $1 and c.created_at >= $2 and c.created_at < $3) as new_conversations,
			   (select count(*) from conversations c where c.workspace_id = $1 and c.status = 'open') as open,
			   (select count(*) from conversations c where c.workspace_id = $1 and c.status = 'pending') as pending,
			   (select count(*) from conversations c where c.workspace_id = $1 and c.status = 'snoozed') as snoozed,
			   (select count(*) from conversations c where c.workspace_id = $1 and c.status = 'open' and c.assignee_id is null) as unassigned_open`,
			base
		),
		// One pass over the period's messages. Of the conversations replied to in it, those whose
		// first response fell in it: two index lookups each (messages_history_idx), nothing per row.
		db.query(
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
			[...base, timeZone]
		),
		db.query(
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
			base
		),
		db.query(
			`select n.author_id::text as key, count(*) as n from notes n
			  where n.workspace_id = $1 and n.created_at >= $2 and n.created_at < $3 and n.author_id is not null
			  group by 1`,
			base
		),
		db.query(
			`select u.id::text as user_id, u.name, m.role, coalesce(o.n, 0) as open_assigned
			   from memberships m
			   join users u on u.id = m.user_id
			   left join (
			     select c.assignee_id, count(*) as n from conversations c
			      where c.workspace_id = $1 and c.status = 'open' and c.assignee_id is not null
			      group by 1
			   ) o on o.assignee_id = m.user_id
			  where m.workspace_id = $1`,
			[scope.workspaceId]
		),
		db.query<{ platform: string; conversations: string }>(
			`select p.platform, coalesce(n.n, 0) as conversations
			   from (select distinct platform from platform_connections where workspace_id = $1 and status = 'active'
			         union select distinct c.platform from conversations c where c.workspace_id = $1 and c.created_at >= $2 and c.created_at < $3) p
			   left join (select c.platform, count(*) as n from conversations c
			               where c.workspace_id = $1 and c.created_at >= $2 and c.created_at < $3 group by 1) n on n.platform = p.platform`,
			base
		)
	]);

	type Keyed = { kind: string; key: string | null; [column: string]: unknown };
	const pick = (rows: Keyed[], kind: string) => new Map(rows.filter((r) => r.kind === kind).map((r) => [r.key ?? '', r]));
	const f = {
		all: pick(messages.rows, 'first').get('')!,
		bucket: pick(messages.rows, 'first-bucket'),
		agent: pick(messages.rows, 'first-agent'),
		platform: pick(messages.rows, 'first-platform')
	};
	const m = {
		all: pick(messages.rows, 'all').get('')!,
		bucket: pick(messages.rows, 'bucket'),
		agent: pick(messages.rows, 'agent'),
		platform: pick(messages.rows, 'platform')
	};
	const r = { all: pick(resolutions.rows, 'all').get('')!, agent: pick(resolutions.rows, 'agent') };
	const noteCounts = new Map(notes.rows.map((row) => [row.key as string, count(row.n)]));
	const t = totals.rows[0];

	const canReply = new Set(['owner', 'admin', 'agent']);
	const agents: AgentRow[] = members.rows
		.map((row) => {
			const id = row.user_id as string;
			return {
				userId: id,
				name: row.name as string,
				role: row.role as string,
				openAssigned: count(row.open_assigned),
				repliesSent: count(m.agent.get(id)?.replies as string),
				resolved: count(r.agent.get(id)?.n as string),
				firstResponseMedianSeconds: seconds((f.agent.get(id)?.median as number | undefined) ?? null),
				notes: noteCounts.get(id) ?? 0
			};
		})
		.filter((a) => canReply.has(a.role) || a.openAssigned + a.repliesSent + a.resolved + a.notes > 0)
		.sort((a, b) => b.repliesSent - a.repliesSent || a.name.localeCompare(b.name));

	const started = new Map(platformRows.rows.map((row) => [row.platform, count(row.conversations)]));
	const platformNames = new Set([...started.keys(), ...m.platform.keys(), ...f.platform.keys()]);
	const platforms: PlatformRow[] = [...platformNames]
		.map((platform) => ({
			platform,
			conversations: started.get(platform) ?? 0,
			customerMessages: count(m.platform.get(platform)?.customer as string),
			firstResponseMedianSeconds: seconds((f.platform.get(platform)?.median as number | undefined) ?? null)
		}))
		.sort((a, b) => b.conversations - a.conversations || b.customerMessages - a.customerMessages || a.platform.localeCompare(b.platform));

	// Bucket keys are local wall-clock times; each point also carries its start as an instant.
	const series: ReportSeriesPoint[] = buckets.map(({ key, start }) => ({
		start: start.toISOString(),
		customerMessages: count(m.bucket.get(key)?.customer as string),
		firstResponses: count(f.bucket.get(key)?.n as string),
		firstResponseMedianSeconds: seconds((f.bucket.get(key)?.median as number | undefined) ?? null)
	}));

	return {
		period: { key: period, from: from.toISOString(), to: now.toISOString(), timeZone, bucket },
		totals: {
			newConversations: count(t.new_conversations),
			open: count(t.open),
			pending: count(t.pending),
			snoozed: count(t.snoozed),
			unassignedOpen: count(t.unassigned_open),
			resolved: count(r.all.n as string),
			customerMessages: count(m.all.customer as string),
			repliesSent: count(m.all.replies as string)
		},
		firstResponse: { count: count(f.all.n as string), medianSeconds: seconds(f.all.median as number | null), p90Seconds: seconds(f.all.p90 as number | null) },
		resolution: { medianSeconds: seconds(r.all.median as number | null) },
		series,
		agents,
		platforms
	};
}

/** @default 10 s: less than the dashboard's 15-second refresh, so every refresh sees newer figures. */
export const REPORT_MAX_AGE_MS = 10_000;

const recent = new Map<string, { madeAt: number; report: Promise<OverviewReport> }>();

/**
 * The overview as of at most `maxAgeMs` ago. The figures are the same for every member of a
 * workspace, so supervisors watching the same period at once share one computation (and one that
 * is still running) instead of each repeating a scan of the period.
 */
export function recentOverviewReport(db: Queryable, scope: WorkspaceScope, query: ReportQuery = {}, maxAgeMs = REPORT_MAX_AGE_MS): Promise<OverviewReport> {
	scope.require('read');
	const { period } = reportQuery.parse(query);
	const key = `${scope.workspaceId}|${period}`;
	const now = Date.now();
	const hit = recent.get(key);
	if (hit && now - hit.madeAt < maxAgeMs) return hit.report;
	for (const [k, v] of recent) if (now - v.madeAt >= maxAgeMs) recent.delete(k);
	const report = overviewReport(db, scope, { period });
	recent.set(key, { madeAt: now, report });
	// A failure is not remembered: the next request tries again.
	report.catch(() => {
		if (recent.get(key)?.report === report) recent.delete(key);
	});
	return report;
}

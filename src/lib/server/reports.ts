import { z } from 'zod';
import type { Queryable } from './db.ts';
import { PERMISSIONS, type WorkspaceScope } from './scope.ts';
import * as q from './report-queries.ts';
import { reportGeneration } from './report-freshness.ts';

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

const seconds = (value: number | string | null | undefined): number | null => (value === null || value === undefined ? null : Math.round(Number(value)));
const count = (value: number | string | null | undefined): number => Number(value ?? 0);

/** Rows of one kind, by key. */
function byKey<R extends { kind: string; key: string | null }>(rows: R[], kind: R['kind']): Map<string, R> {
	return new Map(rows.filter((r) => r.kind === kind).map((r) => [r.key ?? '', r]));
}

export async function overviewReport(db: Queryable, scope: WorkspaceScope, options: ReportOptions = {}): Promise<OverviewReport> {
	scope.require('read');
	const { period } = reportQuery.parse({ period: options.period });
	const { days, bucket } = PERIODS[period];
	const now = options.now ?? new Date();

	const ws = await db.query<{ time_zone: string }>('select time_zone from workspaces where id = $1', [scope.workspaceId]);
	const timeZone = validZone(ws.rows[0]?.time_zone);
	const buckets = await q.periodBuckets(db, now, timeZone, days, bucket);
	const from = buckets[0].start;
	const window: q.PeriodParams = [scope.workspaceId, from, now];

	const [t, figures, resolved, notes, members, started] = await Promise.all([
		q.totals(db, window),
		q.messageFigures(db, window, timeZone, bucket),
		q.resolutions(db, window),
		q.noteCounts(db, window),
		q.memberLoads(db, scope.workspaceId),
		q.platformConversations(db, window)
	]);
	const f = { all: byKey(figures, 'first').get('')!, bucket: byKey(figures, 'first-bucket'), agent: byKey(figures, 'first-agent'), platform: byKey(figures, 'first-platform') };
	const m = { all: byKey(figures, 'all').get('')!, bucket: byKey(figures, 'bucket'), agent: byKey(figures, 'agent'), platform: byKey(figures, 'platform') };
	const r = { all: byKey(resolved, 'all').get('')!, agent: byKey(resolved, 'agent') };

	return {
		period: { key: period, from: from.toISOString(), to: now.toISOString(), timeZone, bucket },
		totals: {
			newConversations: count(t.new_conversations),
			open: count(t.open),
			pending: count(t.pending),
			snoozed: count(t.snoozed),
			unassignedOpen: count(t.unassigned_open),
			resolved: count(r.all.n),
			customerMessages: count(m.all.customer),
			repliesSent: count(m.all.replies)
		},
		firstResponse: { count: count(f.all.n), medianSeconds: seconds(f.all.median), p90Seconds: seconds(f.all.p90) },
		resolution: { medianSeconds: seconds(r.all.median) },
		series: seriesPoints(buckets, m.bucket, f.bucket),
		agents: agentRows(members, { replies: m.agent, resolved: r.agent, first: f.agent, notes }),
		platforms: platformRows(started, m.platform, f.platform)
	};
}

/** Bucket keys are local wall-clock times; each point also carries its start as an instant. */
function seriesPoints(buckets: q.BucketRow[], messages: Map<string, q.FigureRow>, firsts: Map<string, q.FigureRow>): ReportSeriesPoint[] {
	return buckets.map(({ key, start }) => ({
		start: start.toISOString(),
		customerMessages: count(messages.get(key)?.customer),
		firstResponses: count(firsts.get(key)?.n),
		firstResponseMedianSeconds: seconds(firsts.get(key)?.median)
	}));
}

const CAN_REPLY = new Set(PERMISSIONS.converse as readonly string[]);

/** Members who can reply, and anyone else with figures in the period; by replies, then name. */
function agentRows(
	members: q.MemberLoadRow[],
	by: { replies: Map<string, q.FigureRow>; resolved: Map<string, q.ResolutionRow>; first: Map<string, q.FigureRow>; notes: q.NoteCountRow[] }
): AgentRow[] {
	const notes = new Map(by.notes.map((row) => [row.key, count(row.n)]));
	return members
		.map((row) => ({
			userId: row.user_id,
			name: row.name,
			role: row.role,
			openAssigned: count(row.open_assigned),
			repliesSent: count(by.replies.get(row.user_id)?.replies),
			resolved: count(by.resolved.get(row.user_id)?.n),
			firstResponseMedianSeconds: seconds(by.first.get(row.user_id)?.median),
			notes: notes.get(row.user_id) ?? 0
		}))
		.filter((a) => CAN_REPLY.has(a.role) || a.openAssigned + a.repliesSent + a.resolved + a.notes > 0)
		.sort((a, b) => b.repliesSent - a.repliesSent || a.name.localeCompare(b.name));
}

/** Platforms with an active connection or figures in the period; by conversations, then messages. */
function platformRows(started: q.PlatformConversationsRow[], messages: Map<string, q.FigureRow>, firsts: Map<string, q.FigureRow>): PlatformRow[] {
	const conversations = new Map(started.map((row) => [row.platform, count(row.conversations)]));
	const names = new Set([...conversations.keys(), ...messages.keys(), ...firsts.keys()]);
	return [...names]
		.map((platform) => ({
			platform,
			conversations: conversations.get(platform) ?? 0,
			customerMessages: count(messages.get(platform)?.customer),
			firstResponseMedianSeconds: seconds(firsts.get(platform)?.median)
		}))
		.sort((a, b) => b.conversations - a.conversations || b.customerMessages - a.customerMessages || a.platform.localeCompare(b.platform));
}

/** @default 10 s: less than the dashboard's 15-second refresh, so every refresh sees newer figures. */
export const REPORT_MAX_AGE_MS = 10_000;

const recent = new Map<string, { madeAt: number; report: Promise<OverviewReport>; generation: number }>();

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
	const generation = reportGeneration(scope.workspaceId);
	if (hit && now - hit.madeAt < maxAgeMs && hit.generation === generation) return hit.report;
	for (const [k, v] of recent) if (now - v.madeAt >= maxAgeMs) recent.delete(k);
	const report = overviewReport(db, scope, { period });
	recent.set(key, { madeAt: now, report, generation });
	// A failure is not remembered: the next request tries again.
	report.catch(() => {
		if (recent.get(key)?.report === report) recent.delete(key);
	});
	return report;
}

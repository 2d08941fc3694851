import { z } from 'zod';
import type { Queryable } from './db.ts';
import { PERMISSIONS, isUuid, type WorkspaceScope } from './scope.ts';
import { assign } from './commands/assign.ts';
import type { CommandDeps, SystemActor } from './commands/actor.ts';
import { CommandRefused } from './commands/actor.ts';
import { errorMessage, logger } from './log.ts';
import { isOpenAt } from './business-hours.ts';

/**
 * Auto-assignment (routing), per workspace and off by default: conversations waiting unassigned go
 * to the agents who are online, not away and under their capacity, in turn (round-robin) or to the
 * one with the fewest open conversations (least-loaded). An automatically assigned conversation
 * whose customer has had no answer `reoffer_minutes` after the assignment is offered to the next
 * agent. Every assignment goes through the assign command as the system, with its reason
 * (`routing:round_robin`, `routing:least_loaded`, `routing:reoffer`), so the conversation's history
 * (conversation_events) says why. The round runs as a pg-boss job (connectors/pipeline/scheduler.ts).
 */

const log = logger('routing');

export const ROUTING_MODES = ['off', 'round_robin', 'least_loaded'] as const;
export type RoutingMode = (typeof ROUTING_MODES)[number];

/** Who is online in a workspace right now; filled in by collab/ (collab/extensions/online.ts). */
export interface OnlineAgents {
	online(workspaceId: string): ReadonlySet<string>;
}

export interface RoutingSettings {
	/** @default 'off' */
	mode: RoutingMode;
	/** Minutes an automatic assignment may go unanswered before the next agent is offered it; null: never. @default null */
	reofferMinutes: number | null;
	/** Route only while the workspace is open (its business hours). @default false */
	businessHoursOnly: boolean;
}

export interface RoutingMember {
	userId: string;
	name: string;
	role: string;
	/** Most open conversations routing gives this member; null: no limit. */
	maxOpenConversations: number | null;
	away: boolean;
	/** Open and pending conversations assigned to them now. */
	openConversations: number;
}

export const DEFAULT_ROUTING: RoutingSettings = { mode: 'off', reofferMinutes: null, businessHoursOnly: false };

export const routingInput = z.object({
	mode: z.enum(ROUTING_MODES),
	reofferMinutes: z.coerce.number().int().min(1).max(1440).nullable(),
	businessHoursOnly: z.boolean()
});

export async function getRoutingSettings(db: Queryable, scope: WorkspaceScope): Promise<RoutingSettings> {
	scope.require('read');
	return readSettings(db, scope.workspaceId);
}

async function readSettings(db: Queryable, workspaceId: string): Promise<RoutingSettings> {
	const { rows } = await db.query(`select mode, reoffer_minutes, business_hours_only from routing_settings where workspace_id = $1`, [workspaceId]);
	const r = rows[0];
	return r ? { mode: r.mode, reofferMinutes: r.reoffer_minutes, businessHoursOnly: r.business_hours_only } : { ...DEFAULT_ROUTING };
}

/** Owners and admins turn routing on or off and tune it. */
export async function updateRoutingSettings(db: Queryable, scope: WorkspaceScope, raw: unknown): Promise<RoutingSettings> {
	scope.require('manageWorkspace');
	const input = routingInput.parse(raw);
	await db.query(
		`insert into routing_settings (workspace_id, mode, reoffer_minutes, business_hours_only) values ($1, $2, $3, $4)
		 on conflict (workspace_id) do update set mode = excluded.mode, reoffer_minutes = excluded.reoffer_minutes,
		   business_hours_only = excluded.business_hours_only, updated_at = now()`,
		[scope.workspaceId, input.mode, input.reofferMinutes, input.businessHoursOnly]
	);
	return input;
}

/** The members routing may pick from (those who may reply), with their capacity, pause and load. */
export async function listRoutingMembers(db: Queryable, scope: WorkspaceScope): Promise<RoutingMember[]> {
	scope.require('read');
	const { rows } = await db.query(
		`select m.user_id, u.name, m.role, m.max_open_conversations, m.away_since is not null as away,
		        (select count(*)::int from conversations c
		          where c.workspace_id = m.workspace_id and c.assignee_id = m.user_id and c.status in ('open', 'pending')) as open_conversations
		   from memberships m join users u on u.id = m.user_id
		  where m.workspace_id = $1 and m.role = any($2::text[])
		  order by lower(u.name), m.user_id`,
		[scope.workspaceId, PERMISSIONS.converse]
	);
	return rows.map((r) => ({
		userId: r.user_id,
		name: r.name,
		role: r.role,
		maxOpenConversations: r.max_open_conversations,
		away: r.away,
		openConversations: r.open_conversations
	}));
}

export const capacityInput = z.coerce.number().int().min(1).max(1000).nullable();

/** Owners and admins set how many open conversations routing gives a member (null: no limit). */
export async function setCapacity(db: Queryable, scope: WorkspaceScope, userId: string, raw: unknown): Promise<void> {
	scope.require('manageMembers');
	const max = capacityInput.parse(raw);
	if (!isUuid(userId)) throw new CommandRefused('invalid_input', 'Not a member of this workspace', 'userId');
	const { rowCount } = await db.query(
		`update memberships set max_open_conversations = $3 where workspace_id = $1 and user_id = $2 and role = any($4::text[])`,
		[scope.workspaceId, userId, max, PERMISSIONS.converse]
	);
	if (rowCount !== 1) throw new CommandRefused('invalid_input', 'Not a member who may reply', 'userId');
}

/** A member pauses themselves ("away") or comes back; routing skips them while away. */
export async function setAway(db: Queryable, scope: WorkspaceScope, away: boolean): Promise<void> {
	scope.require('read');
	await db.query(
		`update memberships set away_since = case when $3 then coalesce(away_since, now()) else null end where workspace_id = $1 and user_id = $2`,
		[scope.workspaceId, scope.userId, away]
	);
}

export async function isAway(db: Queryable, scope: WorkspaceScope): Promise<boolean> {
	const { rows } = await db.query(`select away_since is not null as away from memberships where workspace_id = $1 and user_id = $2`, [
		scope.workspaceId,
		scope.userId
	]);
	return rows[0]?.away ?? false;
}

// The routing round --------------------------------------------------------------------------------

export interface RoutedAssignment {
	conversationId: string;
	assigneeId: string;
	reason: string;
}

interface Agent {
	userId: string;
	load: number;
	max: number | null;
}

/** At most this many conversations are routed per workspace per round. */
const BATCH = 200;

/** The next agent after `after` in id order (wrapping), among those with room. */
function nextInTurn(agents: Agent[], after: string | null): Agent | undefined {
	const ordered = [...agents].sort((a, b) => (a.userId < b.userId ? -1 : 1));
	return ordered.find((a) => after === null || a.userId > after) ?? ordered[0];
}

function pick(mode: Exclude<RoutingMode, 'off'>, agents: Agent[], cursor: string | null, exclude: string | null): Agent | undefined {
	const room = agents.filter((a) => (a.max === null || a.load < a.max) && a.userId !== exclude);
	if (!room.length) return undefined;
	if (mode === 'round_robin') return nextInTurn(room, cursor);
	const least = Math.min(...room.map((a) => a.load));
	// Ties go in turn, so equal loads share the work.
	return nextInTurn(
		room.filter((a) => a.load === least),
		cursor
	);
}

/**
 * One routing round for one workspace: assigns what waits, offers again what went unanswered.
 * `online` is who is connected now; `now` is injectable for tests of business hours and re-offers.
 */
export async function routeWorkspace(deps: CommandDeps, workspaceId: string, online: ReadonlySet<string>, now: Date = new Date()): Promise<RoutedAssignment[]> {
	const settings = await readSettings(deps.db, workspaceId);
	if (settings.mode === 'off') return [];
	const mode = settings.mode;
	if (settings.businessHoursOnly && !(await isOpenAt(deps.db, workspaceId, now))) return [];

	const { rows: members } = await deps.db.query(
		`select m.user_id, m.max_open_conversations,
		        (select count(*)::int from conversations c
		          where c.workspace_id = m.workspace_id and c.assignee_id = m.user_id and c.status in ('open', 'pending')) as load
		   from memberships m
		  where m.workspace_id = $1 and m.role = any($2::text[]) and m.away_since is null`,
		[workspaceId, PERMISSIONS.converse]
	);
	const agents: Agent[] = members.filter((m) => online.has(m.user_id)).map((m) => ({ userId: m.user_id, load: m.load, max: m.max_open_conversations }));
	if (!agents.length) return [];

	const { rows: waiting } = await deps.db.query<{ id: string; assignee_id: string | null }>(
		`select c.id, null::uuid as assignee_id from conversations c
		  where c.workspace_id = $1 and c.assignee_id is null and c.status = 'open'
		  order by c.created_at, c.id limit ${BATCH}`,
		[workspaceId]
	);
	const reoffers = settings.reofferMinutes === null ? [] : await unansweredOffers(deps.db, workspaceId, settings.reofferMinutes, now);

	const { rows: cursorRows } = await deps.db.query(`select last_assignee_id from routing_settings where workspace_id = $1`, [workspaceId]);
	let cursor: string | null = cursorRows[0]?.last_assignee_id ?? null;
	const done: RoutedAssignment[] = [];
	for (const conversation of [...waiting, ...reoffers]) {
		const from = conversation.assignee_id;
		const agent = pick(mode, agents, cursor, from);
		if (!agent) {
			if (from === null) break;
			continue;
		}
		const reason = from === null ? `routing:${mode}` : 'routing:reoffer';
		const actor: SystemActor = { type: 'system', workspaceId, reason };
		try {
			const result = await assign(deps, actor, conversation.id, agent.userId, { ifAssignee: from });
			if (!result.changed) continue;
		} catch (error) {
			log.warn('assign_failed', { workspace_id: workspaceId, conversation_id: conversation.id, error: errorMessage(error) });
			continue;
		}
		agent.load++;
		const previous = from ? agents.find((a) => a.userId === from) : undefined;
		if (previous) previous.load--;
		cursor = agent.userId;
		done.push({ conversationId: conversation.id, assigneeId: agent.userId, reason });
	}
	if (done.length) await deps.db.query(`update routing_settings set last_assignee_id = $2 where workspace_id = $1`, [workspaceId, cursor]);
	if (done.length) log.info('routed', { workspace_id: workspaceId, assigned: done.length });
	return done;
}

/** Conversations routing assigned whose assignee has not answered `minutes` after the assignment. */
async function unansweredOffers(db: Queryable, workspaceId: string, minutes: number, now: Date) {
	const { rows } = await db.query<{ id: string; assignee_id: string | null }>(
		`select c.id, c.assignee_id from conversations c
		   cross join lateral (
		     select e.created_at, e.data from conversation_events e
		      where e.conversation_id = c.id and e.kind = 'assignee' order by e.id desc limit 1
		   ) last
		  where c.workspace_id = $1 and c.status = 'open' and c.assignee_id is not null
		    and last.data->>'reason' like 'routing:%' and last.data->>'to' = c.assignee_id::text
		    and last.created_at <= $2::timestamptz - make_interval(mins => $3)
		    and not exists (
		      select 1 from messages m
		       where m.conversation_id = c.id and m.direction = 'out' and m.sender_type = 'agent'
		         and m.delivery_state is distinct from 'failed' and m.sent_at > last.created_at
		    )
		  order by last.created_at, c.id limit ${BATCH}`,
		[workspaceId, now, minutes]
	);
	return rows;
}

/** The routing job: one round for every workspace that has routing on. */
export async function routeAll(deps: CommandDeps, presence: OnlineAgents, now: Date = new Date()): Promise<number> {
	const { rows } = await deps.db.query<{ workspace_id: string }>(`select workspace_id from routing_settings where mode <> 'off'`);
	let assigned = 0;
	for (const { workspace_id } of rows) {
		try {
			assigned += (await routeWorkspace(deps, workspace_id, presence.online(workspace_id), now)).length;
		} catch (error) {
			log.warn('route_failed', { workspace_id, error: errorMessage(error) });
		}
	}
	return assigned;
}

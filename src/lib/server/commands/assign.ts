import type { Queryable } from '../db.ts';
import { transaction } from '../db.ts';
import { isUuid } from '../../conversation-doc.ts';
import { PERMISSIONS } from '../scope.ts';
import { conversationsChanged, notificationsCreated } from '../workspace-feed.ts';
import { CommandRefused, actorId, mirror, notFound, workspaceOf, type Actor, type CommandDeps, type CommandOptions } from './actor.ts';

/**
 * Assignment: the one place `conversations.assignee_id` changes, with an `assignments` history
 * row, a `conversation_events` row and an `assigned` notification for the new assignee (unless
 * they assigned themselves). Only a member who may converse can be assigned, and only such a
 * member may assign. Once committed, the change is pushed on the workspace feed (the list row to
 * every member, the notification to the new assignee).
 */

export interface AssignResult {
	assigneeId: string | null;
	/** False when the conversation already had this assignee (nothing was written). */
	changed: boolean;
}

/** The assignee as stored, or undefined when the conversation is not in the workspace. */
export async function readAssignee(db: Queryable, workspaceId: string, conversationId: string): Promise<string | null | undefined> {
	if (!isUuid(conversationId)) return undefined;
	const { rows } = await db.query<{ assignee_id: string | null }>('select assignee_id from conversations where id = $1 and workspace_id = $2', [
		conversationId,
		workspaceId
	]);
	return rows[0] ? rows[0].assignee_id : undefined;
}

/** Assigns a conversation to a member who may converse, or unassigns it (`null`). */
export async function assign(deps: CommandDeps, actor: Actor, conversationId: string, assigneeId: unknown, options: CommandOptions = {}): Promise<AssignResult> {
	if (actor.type === 'user') actor.scope.require('converse');
	if (!isUuid(conversationId)) throw notFound();
	if (assigneeId !== null && (typeof assigneeId !== 'string' || !isUuid(assigneeId))) {
		throw new CommandRefused('invalid_input', 'The assignee must be a member id or null', 'assigneeId');
	}
	const to = assigneeId === null ? null : assigneeId.toLowerCase();
	const workspaceId = workspaceOf(actor);
	const by = actorId(actor);
	const changed = await transaction(deps.db, async (client) => {
		const { rows } = await client.query<{ assignee_id: string | null }>(
			'select assignee_id from conversations where id = $1 and workspace_id = $2 for update',
			[conversationId, workspaceId]
		);
		const row = rows[0];
		if (!row) throw notFound();
		if (to !== null) {
			const member = await client.query('select 1 from memberships where workspace_id = $1 and user_id = $2 and role = any($3::text[])', [
				workspaceId,
				to,
				PERMISSIONS.converse
			]);
			if (member.rowCount !== 1) throw new CommandRefused('invalid_input', 'The assignee must be a member who may reply (owner, admin or agent)', 'assigneeId');
		}
		if (row.assignee_id === to) return false;
		if (options.ifAssignee !== undefined && row.assignee_id !== options.ifAssignee) return false;
		await client.query('update conversations set assignee_id = $3, updated_at = now() where id = $1 and workspace_id = $2', [conversationId, workspaceId, to]);
		await client.query('insert into assignments (workspace_id, conversation_id, assignee_id, assigned_by) values ($1, $2, $3, $4)', [
			workspaceId,
			conversationId,
			to,
			by
		]);
		await client.query(`insert into conversation_events (workspace_id, conversation_id, actor_id, kind, data) values ($1, $2, $3, 'assignee', $4)`, [
			workspaceId,
			conversationId,
			by,
			JSON.stringify({ from: row.assignee_id, to, ...(actor.type === 'system' ? { reason: actor.reason } : {}) })
		]);
		if (to && to !== by) {
			await client.query(`insert into notifications (workspace_id, user_id, kind, conversation_id, actor_id) values ($1, $2, 'assigned', $3, $4)`, [
				workspaceId,
				to,
				conversationId,
				by
			]);
		}
		return true;
	});
	if (changed) {
		conversationsChanged([{ workspaceId, conversationId }]);
		if (to && to !== by) notificationsCreated(workspaceId, [to]);
	}
	if (changed) await mirror(actor, conversationId, options, (origin) => deps.live.setMeta(workspaceId, conversationId, { assigneeId: to }, origin), 'assign');
	return { assigneeId: to, changed };
}

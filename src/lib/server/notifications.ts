import type { Queryable } from './db.ts';
import { isUuid, type WorkspaceScope } from './scope.ts';

/**
 * The signed-in member's notifications in a workspace: @mentions in notes and assignments,
 * written by the conversation commands (commands/notes.ts, commands/assign.ts) when the change is
 * made, snoozes that ran out on conversations assigned to them (commands/status.ts), connections
 * their owners must authorize again (connections.ts), and their replies that failed in the end
 * (connectors/pipeline/outbox-worker.ts). Each is pushed on the workspace feed once committed.
 */

export interface NotificationView {
	id: string;
	kind: 'mention' | 'assigned' | 'snooze_ended' | 'connection_reauthorize' | 'send_failed';
	conversationId: string | null;
	/** For `connection_reauthorize`: the connection its owner must connect again (the excerpt is its name). */
	connectionId: string | null;
	actor: { id: string; name: string } | null;
	excerpt: string;
	read: boolean;
	createdAt: string;
}

export async function listNotifications(db: Queryable, scope: WorkspaceScope, limit = 30): Promise<{ items: NotificationView[]; unread: number }> {
	scope.require('read');
	const [items, unread] = await Promise.all([
		db.query(
			`select n.id, n.kind, n.conversation_id, n.connection_id, n.excerpt, n.read_at, n.created_at, u.id as actor_id, u.name as actor_name
			   from notifications n left join users u on u.id = n.actor_id
			  where n.workspace_id = $1 and n.user_id = $2
			  order by n.created_at desc limit $3`,
			[scope.workspaceId, scope.userId, Math.min(Math.max(limit, 1), 100)]
		),
		db.query(`select count(*)::int as n from notifications where workspace_id = $1 and user_id = $2 and read_at is null`, [scope.workspaceId, scope.userId])
	]);
	return {
		items: items.rows.map((r) => ({
			id: r.id,
			kind: r.kind,
			conversationId: r.conversation_id,
			connectionId: r.connection_id ?? null,
			actor: r.actor_id ? { id: r.actor_id, name: r.actor_name } : null,
			excerpt: r.excerpt,
			read: r.read_at !== null,
			createdAt: (r.created_at as Date).toISOString()
		})),
		unread: unread.rows[0].n
	};
}

/** Marks the given notifications (or all, when `ids` is absent) as read. */
export async function markNotificationsRead(db: Queryable, scope: WorkspaceScope, ids?: string[]): Promise<void> {
	scope.require('read');
	if (ids) {
		const valid = ids.filter(isUuid);
		if (!valid.length) return;
		await db.query(`update notifications set read_at = now() where workspace_id = $1 and user_id = $2 and id = any($3::uuid[]) and read_at is null`, [
			scope.workspaceId,
			scope.userId,
			valid
		]);
		return;
	}
	await db.query(`update notifications set read_at = now() where workspace_id = $1 and user_id = $2 and read_at is null`, [scope.workspaceId, scope.userId]);
}

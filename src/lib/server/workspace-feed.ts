import type { WorkspaceEvent, WorkspaceFeed } from './ports.ts';
import { errorMessage, logger } from './log.ts';

/**
 * Where the writers of what a workspace's members see live (conversation rows, notifications)
 * announce a committed change. server/ provides the collab server's `WorkspaceFeed` at start-up;
 * in a process without one (a script, a unit test) the announcement reaches nobody, and browsers
 * catch up through the changes feed when they connect.
 *
 * Kept on globalThis like the services: the routes are bundled with their own copy of src/lib.
 */

const KEY = Symbol.for('chatmai.workspaceFeed');
type Holder = { [KEY]?: WorkspaceFeed };
const holder = globalThis as Holder;
const log = logger('live');

export function provideWorkspaceFeed(port: WorkspaceFeed): void {
	holder[KEY] = port;
}

/** Forgets `port` (only if it is still the one provided). */
export function clearWorkspaceFeed(port: WorkspaceFeed): void {
	if (holder[KEY] === port) delete holder[KEY];
}

/** Announces a committed change to the workspace's connected members; call it after the commit. */
export function publishToWorkspace(workspaceId: string, event: WorkspaceEvent): void {
	try {
		holder[KEY]?.publish(workspaceId, event);
	} catch (error) {
		log.error('feed_publish_failed', { workspace_id: workspaceId, type: event.type, error: errorMessage(error) });
	}
}

/** `conversation` events for rows already committed, grouped by workspace. */
export function conversationsChanged(rows: Iterable<{ workspaceId: string; conversationId: string }>): void {
	const byWorkspace = new Map<string, Set<string>>();
	for (const { workspaceId, conversationId } of rows) {
		let ids = byWorkspace.get(workspaceId);
		if (!ids) byWorkspace.set(workspaceId, (ids = new Set()));
		ids.add(conversationId);
	}
	for (const [workspaceId, ids] of byWorkspace) publishToWorkspace(workspaceId, { type: 'conversation', ids: [...ids] });
}

/** `notification` events for notifications already committed. */
export function notificationsCreated(workspaceId: string, userIds: Iterable<string>): void {
	for (const userId of new Set(userIds)) publishToWorkspace(workspaceId, { type: 'notification', userId });
}

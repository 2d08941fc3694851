import type { LayoutServerLoad } from './$types';
import { listMembers } from '$lib/server/accounts';
import { listCanned } from '$lib/server/canned';
import { listConnections } from '$lib/server/connections';
import { changesCursor, listConversations } from '$lib/server/conversations';
import { services } from '$lib/server/services';
import { workspaceScope } from '../scope';

/**
 * The inbox: the first page of the list, where its changes feed starts, the members (assignment,
 * @mentions), connections (platform filter) and canned responses. The live documents authenticate
 * with short-lived collab tickets (POST /api/v1/collab/ticket), never with the session token.
 */
export const load: LayoutServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	const { db, config } = services();
	// The cursor before the list: a row committed in between comes again through the feed, never not at all.
	const cursor = await changesCursor(db, scope);
	const [page, members, connections, canned] = await Promise.all([
		listConversations(db, scope, { filter: 'all', limit: 30 }),
		listMembers(db, scope),
		listConnections(db, scope, config.origin ?? event.url.origin),
		listCanned(db, scope)
	]);
	return {
		me: { id: scope.userId, role: scope.role },
		list: page,
		changesCursor: cursor,
		members: members.map((m) => ({ id: m.userId, name: m.name, role: m.role })),
		platforms: [...new Set(connections.filter((c) => c.status === 'active').map((c) => c.platform))],
		canned: canned.map(({ id, shortcut, body }) => ({ id, shortcut, body }))
	};
};

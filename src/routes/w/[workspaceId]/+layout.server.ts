import type { LayoutServerLoad } from './$types';
import { getWorkspace, listWorkspaces } from '$lib/server/accounts';
import { setSessionWorkspace } from '$lib/server/auth/session';
import { services } from '$lib/server/services';
import { workspaceScope } from './scope';

/** The app shell: this workspace, the others the user can switch to, and what their role allows. */
export const load: LayoutServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	const { db } = services();
	const principal = scope.principal;
	// Switching workspace is navigating here: remember it as the session's workspace for `/` and the API.
	if (principal.kind === 'session' && principal.workspaceId !== scope.workspaceId) {
		await setSessionWorkspace(db, principal.credentialId, scope.workspaceId);
	}
	const [workspace, workspaces] = await Promise.all([getWorkspace(db, scope), listWorkspaces(db, principal.userId)]);
	return {
		workspace,
		workspaces: workspaces.map(({ id, name, role }) => ({ id, name, role })),
		can: {
			converse: scope.can('converse'),
			note: scope.can('note'),
			manageMembers: scope.can('manageMembers'),
			manageWorkspace: scope.can('manageWorkspace'),
			useApi: scope.can('useApi')
		}
	};
};

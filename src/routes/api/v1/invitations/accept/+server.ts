import { z } from 'zod';
import { api, ApiError, readJson, requirePrincipal } from '$lib/server/http/api';
import { acceptInvitation, listWorkspaces } from '$lib/server/accounts';
import { setSessionWorkspace } from '$lib/server/auth/session';
import { clientIp } from '$lib/server/http/request';
import { services } from '$lib/server/services';

const acceptInput = z.object({ token: z.string().min(20).max(100) });

/** A signed-in user accepts an invitation and works in that workspace from now on. */
export const POST = api(async (event) => {
	const principal = requirePrincipal(event);
	// An API token belongs to one workspace: joining another is for the person, signed in.
	if (principal.kind !== 'session') throw new ApiError(403, 'forbidden', 'Sign in to accept an invitation');
	const { token } = await readJson(event, acceptInput);
	const { db } = services();
	const workspaceId = await acceptInvitation(db, token, { id: principal.userId }, clientIp(event));
	await setSessionWorkspace(db, principal.credentialId, workspaceId);
	const workspace = (await listWorkspaces(db, principal.userId)).find((w) => w.id === workspaceId)!;
	return { workspace: { id: workspace.id, name: workspace.name, role: workspace.role } };
});

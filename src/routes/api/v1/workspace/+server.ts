import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { api, readJson, requireScope } from '$lib/server/http/api';
import { clientIp } from '$lib/server/http/request';
import { getWorkspaceSettings, updateWorkspaceSettings, workspaceSettingsInput } from '$lib/server/privacy/settings';
import { requestWorkspaceDeletion, PURGE_DEADLINE_DAYS } from '$lib/server/privacy/deletion';
import { purgeSoon } from '$lib/server/privacy/jobs';
import { deletionContext } from '$lib/server/privacy/http';
import { services } from '$lib/server/services';

export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	return { workspace: await getWorkspaceSettings(services().db, scope) };
});

/** Name, time zone, retention (1–365 days). Owners and admins. */
export const PATCH = api(async (event) => {
	const scope = await requireScope(event, 'manageWorkspace');
	const input = await readJson(event, workspaceSettingsInput);
	return { workspace: await updateWorkspaceSettings(services().db, scope, input, clientIp(event)) };
});

/** Deletes the workspace: the owner re-types its name. Connections are revoked now, data purged right after. */
export const DELETE = api(async (event) => {
	const scope = await requireScope(event, 'ownWorkspace');
	const { confirmName } = await readJson(event, z.object({ confirmName: z.string().max(200) }));
	const ctx = deletionContext(event);
	await requestWorkspaceDeletion(ctx, scope, confirmName);
	purgeSoon(ctx.db, [scope.workspaceId]);
	const purgeBy = new Date(Date.now() + PURGE_DEADLINE_DAYS * 86_400_000).toISOString();
	return json({ ok: true, workspaceId: scope.workspaceId, purgeBy }, { status: 202 });
});

import { z } from 'zod';
import { api, ApiError, readJson, requireScope } from '$lib/server/http/api';
import { changeRole, removeMember } from '$lib/server/accounts';
import { clientIp } from '$lib/server/http/request';
import { isUuid, ROLES } from '$lib/server/scope';
import { services } from '$lib/server/services';

function target(id: string | undefined): string {
	if (!id || !isUuid(id)) throw new ApiError(404, 'not_found', 'Not found');
	return id;
}

export const PATCH = api(async (event) => {
	const scope = await requireScope(event, 'manageMembers');
	const { role } = await readJson(event, z.object({ role: z.enum(ROLES) }));
	await changeRole(services().db, scope, target(event.params.userId), role, clientIp(event));
	return { ok: true };
});

export const DELETE = api(async (event) => {
	const scope = await requireScope(event, 'manageMembers');
	await removeMember(services().db, scope, target(event.params.userId), clientIp(event));
	return { ok: true };
});

import { api, ApiError, requireScope } from '$lib/server/http/api';
import { revokeApiToken } from '$lib/server/auth/api-tokens';
import { audit } from '$lib/server/audit';
import { clientIp } from '$lib/server/http/request';
import { isUuid } from '$lib/server/scope';
import { services } from '$lib/server/services';

export const DELETE = api(async (event) => {
	const scope = await requireScope(event, 'useApi');
	const id = event.params.id!;
	const { db } = services();
	if (!isUuid(id) || !(await revokeApiToken(db, scope.userId, scope.workspaceId, id))) throw new ApiError(404, 'not_found', 'Not found');
	await audit(db, {
		workspaceId: scope.workspaceId,
		actorId: scope.userId,
		action: 'token.revoked',
		targetType: 'api_token',
		targetId: id,
		ip: clientIp(event),
		meta: { via: scope.principal.kind }
	});
	return { ok: true };
});

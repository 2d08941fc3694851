import { z } from 'zod';
import type { Actions, PageServerLoad } from './$types';
import { createApiToken, listApiTokens, revokeApiToken } from '$lib/server/auth/api-tokens';
import { audit } from '$lib/server/audit';
import { clientIp } from '$lib/server/http/request';
import { isUuid } from '$lib/server/scope';
import { services } from '$lib/server/services';
import { failure, text } from '../../../../form';
import { workspaceScope } from '../../scope';

const tokenName = z.string().trim().min(1).max(80);

export const load: PageServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	const tokens = scope.can('useApi') ? await listApiTokens(services().db, scope.userId, scope.workspaceId) : [];
	return { tokens };
};

export const actions: Actions = {
	/** The token is in this answer and nowhere else: the page shows it once. */
	create: async (event) => {
		const scope = await workspaceScope(event);
		const values = { form: 'create' as const, name: text(await event.request.formData(), 'name') };
		if (!scope.can('useApi')) return failure(403, values, 'form.error.forbidden');
		const name = tokenName.safeParse(values.name);
		if (!name.success) return failure(400, values, 'tokens.error.name', { name: 'tokens.error.name' });
		const { db } = services();
		const { token, apiToken } = await createApiToken(db, scope.userId, scope.workspaceId, name.data);
		// The tokens service does not log; the REST route logs its own creations, this is the web's.
		await audit(db, { workspaceId: scope.workspaceId, actorId: scope.userId, action: 'token.created', targetType: 'api_token', targetId: apiToken.id, ip: clientIp(event) });
		return { form: 'create' as const, created: { name: apiToken.name, token } };
	},

	revoke: async (event) => {
		const scope = await workspaceScope(event);
		const id = text(await event.request.formData(), 'tokenId');
		const { db } = services();
		if (!isUuid(id) || !(await revokeApiToken(db, scope.userId, scope.workspaceId, id))) {
			return failure(404, { form: 'list' as const }, 'form.error.notFound');
		}
		await audit(db, { workspaceId: scope.workspaceId, actorId: scope.userId, action: 'token.revoked', targetType: 'api_token', targetId: id, ip: clientIp(event) });
		return { form: 'list' as const, success: 'tokens.revoked' as const };
	}
};

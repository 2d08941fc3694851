import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { api, ApiError, readJson, requireScope } from '$lib/server/http/api';
import { createApiToken, listApiTokens, TokenRefused } from '$lib/server/auth/api-tokens';
import { audit } from '$lib/server/audit';
import { clientIp } from '$lib/server/http/request';
import { services } from '$lib/server/services';

const tokenInput = z.object({
	name: z.string().trim().min(1).max(80),
	expiresInDays: z.number().int().min(1).max(3650).optional()
});

export const GET = api(async (event) => {
	const scope = await requireScope(event, 'useApi');
	return { tokens: await listApiTokens(services().db, scope.userId, scope.workspaceId) };
});

/**
 * Creates a personal token for the current workspace. The token is in this answer and nowhere else.
 * Made with a token, it lives no longer than that token (400 `outlives_parent` past its expiry).
 */
export const POST = api(async (event) => {
	const scope = await requireScope(event, 'useApi');
	const input = await readJson(event, tokenInput);
	const { db } = services();
	const expiresAt = input.expiresInDays ? new Date(Date.now() + input.expiresInDays * 86_400_000) : null;
	const parentId = scope.principal.kind === 'api_token' ? scope.principal.credentialId : null;
	const { token, apiToken } = await createApiToken(db, scope.userId, scope.workspaceId, input.name, expiresAt, parentId).catch((error) => {
		if (error instanceof TokenRefused) {
			throw error.reason === 'outlives_parent' ? new ApiError(400, error.reason, error.message) : new ApiError(401, 'unauthenticated', error.message);
		}
		throw error;
	});
	await audit(db, {
		workspaceId: scope.workspaceId,
		actorId: scope.userId,
		action: 'token.created',
		targetType: 'api_token',
		targetId: apiToken.id,
		ip: clientIp(event),
		meta: parentId ? { via: 'api_token', parentTokenId: parentId, expiresAt: apiToken.expiresAt } : { via: 'session', expiresAt: apiToken.expiresAt }
	});
	return json({ token, apiToken }, { status: 201 });
});

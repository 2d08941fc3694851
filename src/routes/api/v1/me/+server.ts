import { api, requirePrincipal } from '$lib/server/http/api';
import { isEmailVerified, listWorkspaces } from '$lib/server/accounts';
import { defaultScope } from '$lib/server/scope';
import { services } from '$lib/server/services';

export const GET = api(async (event) => {
	const principal = requirePrincipal(event);
	const { db } = services();
	const current = await defaultScope(db, principal);
	const [workspaces, emailVerified] = await Promise.all([listWorkspaces(db, principal.userId), isEmailVerified(db, principal.userId)]);
	return {
		user: { id: principal.userId, email: principal.email, name: principal.name, locale: principal.locale, emailVerified },
		auth: principal.kind,
		workspaceId: current?.workspaceId ?? null,
		role: current?.role ?? null,
		workspaces: principal.kind === 'api_token' ? workspaces.filter((w) => w.id === principal.workspaceId) : workspaces
	};
});

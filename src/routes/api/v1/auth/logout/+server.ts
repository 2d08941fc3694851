import { api, requirePrincipal } from '$lib/server/http/api';
import { audit } from '$lib/server/audit';
import { invalidateSession } from '$lib/server/auth/session';
import { clearSessionCookie } from '$lib/server/http/cookies';
import { clientIp, isSecure } from '$lib/server/http/request';
import { services } from '$lib/server/services';

/** Ends the session the request came with, audit-logged like the form's log-out. An API token is revoked, not logged out. */
export const POST = api(async (event) => {
	const principal = requirePrincipal(event);
	const { db } = services();
	if (principal.kind === 'session') {
		await invalidateSession(db, principal.credentialId);
		await audit(db, { workspaceId: principal.workspaceId, actorId: principal.userId, action: 'auth.logout', targetType: 'user', targetId: principal.userId, ip: clientIp(event) });
	}
	clearSessionCookie(event.cookies, isSecure(event.url));
	return { ok: true };
});

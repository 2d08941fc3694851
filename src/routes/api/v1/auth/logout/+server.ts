import { api, requirePrincipal } from '$lib/server/http/api';
import { invalidateSession } from '$lib/server/auth/session';
import { clearSessionCookie } from '$lib/server/http/cookies';
import { isSecure } from '$lib/server/http/request';
import { services } from '$lib/server/services';

export const POST = api(async (event) => {
	const principal = requirePrincipal(event);
	if (principal.kind === 'session') await invalidateSession(services().db, principal.credentialId);
	clearSessionCookie(event.cookies, isSecure(event.url));
	return { ok: true };
});

import { api, readJson } from '$lib/server/http/api';
import { logIn, loginInput } from '$lib/server/accounts';
import { createSession, invalidateSession } from '$lib/server/auth/session';
import { loginSucceeded, throttleLogin } from '$lib/server/auth/throttle';
import { setSessionCookie } from '$lib/server/http/cookies';
import { clientIp, isSecure } from '$lib/server/http/request';
import { defaultScope } from '$lib/server/scope';
import { services } from '$lib/server/services';

/** Returns the session token in the body too, for scripts and the collab client. */
export const POST = api(async (event) => {
	const { db, config } = services();
	const ip = clientIp(event);
	const input = await readJson(event, loginInput);
	await throttleLogin(db, ip, input.email, config.loginLimitPerIp);
	const user = await logIn(db, input, ip);
	await loginSucceeded(db, input.email);
	// Rotation on login: a session that came with the request is replaced, never reused.
	if (event.locals.principal?.kind === 'session') await invalidateSession(db, event.locals.principal.credentialId);
	const first = await defaultScope(db, { kind: 'session', userId: user.id, email: user.email, name: user.name, locale: user.locale, credentialId: '', workspaceId: null });
	const { token, session } = await createSession(db, user.id, first?.workspaceId ?? null, { ip, userAgent: event.request.headers.get('user-agent') ?? undefined }, { days: config.sessionDays });
	setSessionCookie(event.cookies, token, session.expiresAt, isSecure(event.url));
	return { user, token, expiresAt: session.expiresAt, workspaceId: session.workspaceId };
});

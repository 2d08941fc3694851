import { api, readJson } from '$lib/server/http/api';
import { signUp, signupInput } from '$lib/server/accounts';
import { createSession } from '$lib/server/auth/session';
import { throttleSignup } from '$lib/server/auth/throttle';
import { setSessionCookie } from '$lib/server/http/cookies';
import { clientIp, isSecure } from '$lib/server/http/request';
import { mailContext, services } from '$lib/server/services';
import { json } from '@sveltejs/kit';

/** A new account: its own workspace, or with `invitation` the inviting one (then none is created). */
export const POST = api(async (event) => {
	const { db, config } = services();
	const ip = clientIp(event);
	const input = await readJson(event, signupInput);
	await throttleSignup(db, ip, config.signupLimitPerHour);
	const { user, workspaceId, invitation } = await signUp(db, input, ip, mailContext(event.url.origin));
	const { token, session } = await createSession(db, user.id, workspaceId, { ip, userAgent: event.request.headers.get('user-agent') ?? undefined }, { days: config.sessionDays });
	setSessionCookie(event.cookies, token, session.expiresAt, isSecure(event.url));
	return json(
		{ user, workspace: workspaceId ? { id: workspaceId } : null, ...(invitation ? { invitation } : {}), token, expiresAt: session.expiresAt },
		{ status: 201 }
	);
});

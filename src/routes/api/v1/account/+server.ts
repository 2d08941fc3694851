import { z } from 'zod';
import { api, readJson, requirePrincipal } from '$lib/server/http/api';
import { clearSessionCookie } from '$lib/server/http/cookies';
import { clientIp, isSecure } from '$lib/server/http/request';
import { loginSucceeded, throttleLogin } from '$lib/server/auth/throttle';
import { deleteAccount } from '$lib/server/privacy/deletion';
import { purgeSoon } from '$lib/server/privacy/jobs';
import { deletionContext } from '$lib/server/privacy/http';

const deleteInput = z.object({ password: z.string().min(1).max(256) });

/** Deletes the caller's account after re-checking their password (sessions only, not API tokens). */
export const DELETE = api(async (event) => {
	const principal = requirePrincipal(event);
	const { password } = await readJson(event, deleteInput);
	const ctx = deletionContext(event);
	// A wrong password here is a guess like a failed login: the same limits apply.
	await throttleLogin(ctx.db, clientIp(event), principal.email);
	const { closedWorkspaces } = await deleteAccount(ctx, principal, password);
	purgeSoon(ctx.db, closedWorkspaces);
	clearSessionCookie(event.cookies, isSecure(event.url));
	return { ok: true, deletedWorkspaces: closedWorkspaces };
});

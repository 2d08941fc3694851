import { api, ApiError, requirePrincipal } from '$lib/server/http/api';
import { sendVerification } from '$lib/server/email-verification';
import { mailContext, services } from '$lib/server/services';
import { json } from '@sveltejs/kit';

/** Mails the signed-in user a new verification link (`already_verified` when there is nothing to do). */
export const POST = api(async (event) => {
	const principal = requirePrincipal(event);
	if (principal.kind !== 'session') throw new ApiError(403, 'forbidden', 'Sign in to verify your e-mail address');
	const result = await sendVerification(services().db, mailContext(event.url.origin), principal.userId);
	return json({ result }, { status: result === 'already_verified' ? 200 : 202 });
});

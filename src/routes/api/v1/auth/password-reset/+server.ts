import { z } from 'zod';
import { api, readJson } from '$lib/server/http/api';
import { requestPasswordReset } from '$lib/server/password-reset';
import { clientIp } from '$lib/server/http/request';
import { mailContext, services } from '$lib/server/services';
import { json } from '@sveltejs/kit';

const resetInput = z.object({ email: z.string().max(254) });

/** Mails a reset link if the address has an account; the answer is the same either way. */
export const POST = api(async (event) => {
	const { email } = await readJson(event, resetInput);
	await requestPasswordReset(services().db, mailContext(event.url.origin), email, clientIp(event));
	return json({ ok: true }, { status: 202 });
});

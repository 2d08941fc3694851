import { z } from 'zod';
import { api, readJson } from '$lib/server/http/api';
import { resetPassword } from '$lib/server/password-reset';
import { clientIp } from '$lib/server/http/request';
import { services } from '$lib/server/services';

const confirmInput = z.object({ token: z.string().min(1).max(100), password: z.string().max(1024) });

/** Sets a new password with the mailed link's token; every session of the account ends. */
export const POST = api(async (event) => {
	const { token, password } = await readJson(event, confirmInput);
	await resetPassword(services().db, token, password, clientIp(event));
	return { ok: true };
});

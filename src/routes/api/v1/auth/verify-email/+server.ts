import { z } from 'zod';
import { api, readJson } from '$lib/server/http/api';
import { verifyEmail } from '$lib/server/email-verification';
import { clientIp } from '$lib/server/http/request';
import { services } from '$lib/server/services';

const verifyInput = z.object({ token: z.string().min(1).max(100) });

/** Confirms the address with the mailed link's token; joins the invitation it came from, if any. */
export const POST = api(async (event) => {
	const { token } = await readJson(event, verifyInput);
	const { joinedWorkspaceId } = await verifyEmail(services().db, token, clientIp(event));
	return { ok: true, joinedWorkspaceId };
});

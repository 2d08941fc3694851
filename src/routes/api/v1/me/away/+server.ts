import { z } from 'zod';
import { api, readJson, requireScope } from '$lib/server/http/api';
import { setAway } from '$lib/server/routing';
import { services } from '$lib/server/services';

const body = z.object({ away: z.boolean() });

/** Pauses automatic assignment to me in this workspace ("away"), or ends the pause. Any member. */
export const PUT = api(async (event) => {
	const scope = await requireScope(event, 'read');
	const { away } = await readJson(event, body);
	await setAway(services().db, scope, away);
	return { away };
});

import { z } from 'zod';
import { api, readJson } from '$lib/server/http/api';
import { commandDeps, requireActor, runCommand } from '$lib/server/http/commands';
import { snooze } from '$lib/server/commands';

const body = z.object({ until: z.string().datetime({ offset: true }) });

/** Snoozes the conversation until a time to come; it reopens then, or on the customer's next message. Owner, admin, agent. */
export const POST = api(async (event) => {
	const actor = await requireActor(event, 'converse');
	const { until } = await readJson(event, body);
	return await runCommand(() => snooze(commandDeps(), actor, event.params.id!, until));
});

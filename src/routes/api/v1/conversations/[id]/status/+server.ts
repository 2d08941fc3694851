import { z } from 'zod';
import { api, readJson } from '$lib/server/http/api';
import { commandDeps, requireActor, runCommand } from '$lib/server/http/commands';
import { setStatus } from '$lib/server/commands';

/** Snoozing needs a time: `POST …/snooze`. */
const body = z.object({ status: z.enum(['open', 'pending', 'resolved']) });

/** Sets the status: `resolved` resolves, `open` reopens, `pending` waits for the customer. Owner, admin, agent. */
export const POST = api(async (event) => {
	const actor = await requireActor(event, 'converse');
	const { status } = await readJson(event, body);
	return await runCommand(() => setStatus(commandDeps(), actor, event.params.id!, { status }));
});

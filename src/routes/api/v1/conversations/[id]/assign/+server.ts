import { z } from 'zod';
import { api, readJson } from '$lib/server/http/api';
import { commandDeps, requireActor, runCommand } from '$lib/server/http/commands';
import { assign } from '$lib/server/commands';

const body = z.object({ assigneeId: z.string().uuid().nullable() });

/** Assigns the conversation to a member who may reply, or unassigns it (`null`). Owner, admin, agent. */
export const POST = api(async (event) => {
	const actor = await requireActor(event, 'converse');
	const { assigneeId } = await readJson(event, body);
	return await runCommand(() => assign(commandDeps(), actor, event.params.id!, assigneeId));
});

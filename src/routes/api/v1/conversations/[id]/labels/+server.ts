import { z } from 'zod';
import { api, readJson } from '$lib/server/http/api';
import { commandDeps, requireActor, runCommand } from '$lib/server/http/commands';
import { setLabels } from '$lib/server/commands';
import { LABELS_LIMIT } from '$lib/conversation-doc';

const body = z.object({ labels: z.array(z.string()).max(LABELS_LIMIT) });

/** Replaces the conversation's labels with the given set. Owner, admin, agent. */
export const PUT = api(async (event) => {
	const actor = await requireActor(event, 'converse');
	const { labels } = await readJson(event, body);
	return await runCommand(() => setLabels(commandDeps(), actor, event.params.id!, labels));
});

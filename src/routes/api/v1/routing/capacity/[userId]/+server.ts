import { z } from 'zod';
import { api, readJson, requireScope } from '$lib/server/http/api';
import { capacityInput, setCapacity } from '$lib/server/routing';
import { services } from '$lib/server/services';

const body = z.object({ maxOpenConversations: capacityInput });

/** Sets how many open conversations auto-assignment gives a member (null: no limit). Owners and admins. */
export const PUT = api(async (event) => {
	const scope = await requireScope(event, 'manageMembers');
	const { maxOpenConversations } = await readJson(event, body);
	await setCapacity(services().db, scope, event.params.userId!, maxOpenConversations);
	return { userId: event.params.userId, maxOpenConversations };
});

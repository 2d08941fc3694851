import { api, requireScope } from '$lib/server/http/api';
import { listConversations } from '$lib/server/conversations';
import { services } from '$lib/server/services';

/** The inbox list: ?filter=mine|unassigned|all&status=&platform=&connectionId=&label=&q=&sort=recent|due&cursor=&limit= */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	return listConversations(services().db, scope, Object.fromEntries(event.url.searchParams));
});

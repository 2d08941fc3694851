import { api, requireScope } from '$lib/server/http/api';
import { changesCursor, listConversationChanges } from '$lib/server/conversations';
import { services } from '$lib/server/services';

/**
 * The live inbox's changes feed: `?since=<cursor>` → conversations changed since then (new
 * messages, status, assignee, labels) and the cursor for the next poll. Without `since`: no items,
 * only the cursor to start from.
 */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	const { db } = services();
	const since = event.url.searchParams.get('since');
	if (!since) return { items: [], cursor: await changesCursor(db, scope), more: false };
	return listConversationChanges(db, scope, since);
});

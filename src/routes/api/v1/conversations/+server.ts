import { api, ApiError, requireScope } from '$lib/server/http/api';
import { InvalidListCursor, listConversations } from '$lib/server/conversations';
import { services } from '$lib/server/services';

/** The inbox list: ?filter=mine|unassigned|all&status=&platform=&connectionId=&label=&q=&cursor=&limit= */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	try {
		return await listConversations(services().db, scope, Object.fromEntries(event.url.searchParams));
	} catch (error) {
		if (error instanceof InvalidListCursor) throw new ApiError(400, 'invalid_cursor', 'The cursor is not valid');
		throw error;
	}
});

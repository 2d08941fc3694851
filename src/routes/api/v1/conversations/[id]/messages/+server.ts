import { api, ApiError, requireScope } from '$lib/server/http/api';
import { InvalidCursor, listMessages } from '$lib/server/messages';
import { services } from '$lib/server/services';

/** Older history beyond the live window: ?before=<message id>&limit=<1–100> */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	const limit = event.url.searchParams.get('limit');
	try {
		return await listMessages(services().db, scope, event.params.id!, {
			before: event.url.searchParams.get('before'),
			limit: limit ? Number(limit) : undefined
		});
	} catch (error) {
		if (error instanceof InvalidCursor) throw new ApiError(400, 'invalid_cursor', error.message);
		throw error;
	}
});

import { api, requireScope } from '$lib/server/http/api';
import { listMessages } from '$lib/server/messages';
import { services } from '$lib/server/services';

/** Older history beyond the live window: ?before=<message id>&limit=<1–100> */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	const limit = event.url.searchParams.get('limit');
	return listMessages(services().db, scope, event.params.id!, {
		before: event.url.searchParams.get('before'),
		limit: limit ? Number(limit) : undefined
	});
});

import { api, requireScope } from '$lib/server/http/api';
import { getConversationDetail } from '$lib/server/contacts';
import { services } from '$lib/server/services';

/** One conversation with its customer (profile per platform) and the customer's other conversations. */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	return await getConversationDetail(services().db, scope, event.params.id!);
});

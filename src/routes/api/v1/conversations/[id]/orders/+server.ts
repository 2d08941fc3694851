import { api, ApiError, requireScope } from '$lib/server/http/api';
import { isUuid } from '$lib/server/scope';
import { services } from '$lib/server/services';

/** The customer's recent orders for a shop conversation (`?refresh=1` asks the shop now). */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	const id = event.params.id!;
	if (!isUuid(id)) throw new ApiError(404, 'not_found', 'Conversation not found');
	const refresh = ['1', 'true'].includes(event.url.searchParams.get('refresh') ?? '');
	const orders = await services().platforms.conversationOrders(scope, id, { refresh });
	if (!orders) throw new ApiError(404, 'not_found', 'Conversation not found');
	return orders;
});

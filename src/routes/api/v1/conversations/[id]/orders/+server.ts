import { api, ApiError, requireScope } from '$lib/server/http/api';
import { hit } from '$lib/server/rate-limit';
import { isUuid } from '$lib/server/scope';
import { services } from '$lib/server/services';

/** Forced refreshes (each one a call to the shop's API) per user and conversation. */
const ORDER_REFRESH_LIMIT = { limit: 3, windowSeconds: 60 } as const;

/**
 * The customer's recent orders for a shop conversation. `?refresh=1` asks the shop now, at most
 * three times a minute per user and conversation; past that the answer is what a plain read gives
 * (the cache, refreshed only when old), so nobody can make the server hammer a shop's API.
 */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	const id = event.params.id!;
	if (!isUuid(id)) throw new ApiError(404, 'not_found', 'Conversation not found');
	const { db, platforms } = services();
	let refresh = ['1', 'true'].includes(event.url.searchParams.get('refresh') ?? '');
	if (refresh) refresh = (await hit(db, `orders-refresh:${id}:${scope.userId}`, ORDER_REFRESH_LIMIT)) === 0;
	const orders = await platforms.conversationOrders(scope, id, { refresh });
	if (!orders) throw new ApiError(404, 'not_found', 'Conversation not found');
	return orders;
});

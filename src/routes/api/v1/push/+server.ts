import { api, ApiError, requireScope } from '$lib/server/http/api';
import { addPushSubscription, pushSubscription, removePushSubscription } from '$lib/server/push';
import { services } from '$lib/server/services';

/**
 * Web Push for the signed-in member's browsers: `GET` → `{ publicKey }` (the VAPID key a browser
 * subscribes with), `POST { endpoint, keys: { p256dh, auth } }` registers this browser,
 * `DELETE { endpoint }` forgets it.
 */
export const GET = api(async (event) => {
	await requireScope(event, 'read');
	return { publicKey: services().vapid.publicKey };
});

export const POST = api(async (event) => {
	const scope = await requireScope(event, 'read');
	const parsed = pushSubscription.safeParse(await event.request.json().catch(() => null));
	if (!parsed.success) throw new ApiError(400, 'invalid_input', 'A push subscription needs an endpoint and its keys');
	await addPushSubscription(services().db, scope.userId, parsed.data);
	return { ok: true };
});

export const DELETE = api(async (event) => {
	const scope = await requireScope(event, 'read');
	const body = (await event.request.json().catch(() => null)) as { endpoint?: unknown } | null;
	if (typeof body?.endpoint !== 'string') throw new ApiError(400, 'invalid_input', 'Which endpoint?');
	await removePushSubscription(services().db, scope.userId, body.endpoint);
	return { ok: true };
});

import { z } from 'zod';
import { api, readJson, requireScope } from '$lib/server/http/api';
import { listNotifications, markNotificationsRead } from '$lib/server/notifications';
import { services } from '$lib/server/services';

/** Your mentions and assignments in this workspace, newest first, with the unread count. */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	return await listNotifications(services().db, scope, Number(event.url.searchParams.get('limit') ?? 30) || 30);
});

const readBody = z.object({ ids: z.array(z.string().uuid()).max(100).optional() });

/** Marks notifications read: `{ ids }`, or all of them when `ids` is absent. */
export const POST = api(async (event) => {
	const scope = await requireScope(event, 'read');
	const { ids } = await readJson(event, readBody);
	await markNotificationsRead(services().db, scope, ids);
	return new Response(null, { status: 204 });
});

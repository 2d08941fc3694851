import { api, requireScope } from '$lib/server/http/api';
import { clientIp } from '$lib/server/http/request';
import { disconnectConnection, getConnection } from '$lib/server/connections';
import { services } from '$lib/server/services';

export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	const { db, config } = services();
	return { connection: await getConnection(db, scope, event.params.id!, config.origin ?? event.url.origin) };
});

/** Disconnects: credentials deleted at once, token revoked on the platform where possible, webhooks answered 410. */
export const DELETE = api(async (event) => {
	const scope = await requireScope(event, 'manageWorkspace');
	const { db, keyRing, platforms, config } = services();
	const connection = await disconnectConnection(
		{ db, keyRing, platforms, config, origin: config.origin ?? event.url.origin, ip: clientIp(event) },
		scope,
		event.params.id!
	);
	return { connection };
});

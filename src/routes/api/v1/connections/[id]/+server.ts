import { z } from 'zod';
import { api, readJson, requireScope } from '$lib/server/http/api';
import { clientIp } from '$lib/server/http/request';
import { disconnectConnection, getConnection, updateCredentials } from '$lib/server/connections';
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

/** New credentials in place (a rotated LINE channel token): checked with the platform, then sealed over the old ones. */
export const PUT = api(async (event) => {
	const scope = await requireScope(event, 'manageWorkspace');
	const input = await readJson(event, z.object({ credentials: z.record(z.string(), z.unknown()) }));
	const { db, keyRing, platforms, config } = services();
	const connection = await updateCredentials(
		{ db, keyRing, platforms, config, origin: config.origin ?? event.url.origin, ip: clientIp(event) },
		scope,
		event.params.id!,
		input.credentials
	);
	return { connection };
});

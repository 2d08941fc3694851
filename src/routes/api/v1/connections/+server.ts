import { json } from '@sveltejs/kit';
import { api, readJson, requireScope } from '$lib/server/http/api';
import { clientIp } from '$lib/server/http/request';
import { connectionInput, createConnection, listConnections } from '$lib/server/connections';
import { services } from '$lib/server/services';

/** The workspace's platform connections (never their credentials). */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	const { db, config } = services();
	return { connections: await listConnections(db, scope, config.origin ?? event.url.origin) };
});

/** Connects a page / OA / shop: 201 with the webhook URL and verify token to paste into the platform's console. */
export const POST = api(async (event) => {
	const scope = await requireScope(event, 'manageWorkspace');
	const input = await readJson(event, connectionInput);
	const { db, keyRing, platforms, config } = services();
	const connection = await createConnection({ db, keyRing, platforms, config, origin: config.origin ?? event.url.origin, ip: clientIp(event) }, scope, input);
	return json({ connection }, { status: 201 });
});

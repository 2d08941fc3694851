import { api, requireScope } from '$lib/server/http/api';
import { testConnection } from '$lib/server/connections';
import { services } from '$lib/server/services';

/** "Send test": the platform (LINE) sends a test event to the connection's webhook URL; the answer says what it got back. */
export const POST = api(async (event) => {
	const scope = await requireScope(event, 'manageWorkspace');
	const { db, platforms, config } = services();
	return { result: await testConnection({ db, platforms, origin: config.origin ?? event.url.origin }, scope, event.params.id!) };
});

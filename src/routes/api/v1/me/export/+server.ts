import { json } from '@sveltejs/kit';
import { api, requirePrincipal } from '$lib/server/http/api';
import { clientIp } from '$lib/server/http/request';
import { personalExport } from '$lib/server/privacy/export';
import { services } from '$lib/server/services';

/** Everything ChatMai keeps about the caller, as a JSON attachment. Audit-logged. */
export const GET = api(async (event) => {
	const principal = requirePrincipal(event);
	const data = await personalExport(services().db, principal, clientIp(event));
	return json(data, {
		headers: {
			'content-disposition': `attachment; filename="chatmai-my-data-${data.exportedAt.slice(0, 10)}.json"`,
			'cache-control': 'no-store'
		}
	});
});

import { api, requireScope } from '$lib/server/http/api';
import { clientIp } from '$lib/server/http/request';
import { openWorkspaceExport, toReadableStream } from '$lib/server/privacy/export';
import { services } from '$lib/server/services';

/** The whole workspace as one JSON document, streamed as an attachment. Owners only; audit-logged. */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'ownWorkspace');
	const { filename, chunks } = await openWorkspaceExport(services().db, scope, clientIp(event));
	return new Response(toReadableStream(chunks), {
		headers: {
			'content-type': 'application/json; charset=utf-8',
			'content-disposition': `attachment; filename="${filename}"`,
			'cache-control': 'no-store'
		}
	});
});

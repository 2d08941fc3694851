import { api, requireScope } from '$lib/server/http/api';
import { clientIp } from '$lib/server/http/request';
import { readAuditLog } from '$lib/server/privacy/audit-log';
import { services } from '$lib/server/services';

/** The workspace's audit log, newest first, `?before=<nextCursor>&limit=` (≤ 500). Owners and admins; the read is logged. */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'manageWorkspace');
	const query = Object.fromEntries(event.url.searchParams);
	return readAuditLog(services().db, scope, { before: query.before, limit: query.limit }, clientIp(event));
});

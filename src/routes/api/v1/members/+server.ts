import { api, requireScope } from '$lib/server/http/api';
import { listMembers } from '$lib/server/accounts';
import { services } from '$lib/server/services';

export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	return { members: await listMembers(services().db, scope) };
});

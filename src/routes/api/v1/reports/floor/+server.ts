import { api, requireScope } from '$lib/server/http/api';
import { floorReport } from '$lib/server/floor';
import { services } from '$lib/server/services';

/** The supervisor's floor as of now: the queue waiting, its longest wait, and what each member holds. Any member. */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	return floorReport(services().db, scope);
});

import { api, readJson, requireScope } from '$lib/server/http/api';
import { hoursInput, setBusinessHours } from '$lib/server/business-hours';
import { services } from '$lib/server/services';

/** Replaces the workspace's weekly business hours. Owners and admins. */
export const PUT = api(async (event) => {
	const scope = await requireScope(event, 'manageWorkspace');
	const hours = await readJson(event, hoursInput);
	return { hours: await setBusinessHours(services().db, scope, hours) };
});

import { api, readJson, requireScope } from '$lib/server/http/api';
import { holidaysInput, setHolidays } from '$lib/server/business-hours';
import { services } from '$lib/server/services';

/** Replaces the workspace's holidays (dates in its time zone, closed all day). Owners and admins. */
export const PUT = api(async (event) => {
	const scope = await requireScope(event, 'manageWorkspace');
	const days = await readJson(event, holidaysInput);
	return { holidays: await setHolidays(services().db, scope, days) };
});

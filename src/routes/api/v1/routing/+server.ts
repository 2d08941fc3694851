import { api, readJson, requireScope } from '$lib/server/http/api';
import { getBusinessHours, getHolidays } from '$lib/server/business-hours';
import { getRoutingSettings, listRoutingMembers, routingInput, updateRoutingSettings } from '$lib/server/routing';
import { services } from '$lib/server/services';

/** Auto-assignment: its settings, the members it picks from (capacity, away, load) and the business hours. Any member. */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	const { db } = services();
	const [settings, members, hours, holidays] = await Promise.all([
		getRoutingSettings(db, scope),
		listRoutingMembers(db, scope),
		getBusinessHours(db, scope),
		getHolidays(db, scope)
	]);
	return { settings, members, hours, holidays };
});

/** Turns auto-assignment on or off and tunes it. Owners and admins. */
export const PUT = api(async (event) => {
	const scope = await requireScope(event, 'manageWorkspace');
	const input = await readJson(event, routingInput);
	return { settings: await updateRoutingSettings(services().db, scope, input) };
});

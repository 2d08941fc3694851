import type { Actions, PageServerLoad } from './$types';
import { getBusinessHours, getHolidays, holidaysInput, hoursInput, setBusinessHours, setHolidays } from '$lib/server/business-hours';
import { capacityInput, getRoutingSettings, isAway, listRoutingMembers, routingInput, setAway, setCapacity, updateRoutingSettings } from '$lib/server/routing';
import { services } from '$lib/server/services';
import { failure, refused, text } from '../../../../form';
import { workspaceScope } from '../../scope';

/**
 * Routing: auto-assignment (owners and admins turn it on, choose how, set each agent's capacity and
 * the business hours), and every member's own "away" switch.
 */
export const load: PageServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	const { db } = services();
	const [settings, members, hours, holidays, away] = await Promise.all([
		getRoutingSettings(db, scope),
		listRoutingMembers(db, scope),
		getBusinessHours(db, scope),
		getHolidays(db, scope),
		isAway(db, scope)
	]);
	return { settings, members, hours, holidays, away, canManage: scope.can('manageWorkspace'), canConverse: scope.can('converse') };
};

export const actions: Actions = {
	settings: async (event) => {
		const scope = await workspaceScope(event);
		const data = await event.request.formData();
		const reoffer = text(data, 'reofferMinutes').trim();
		const values = { mode: text(data, 'mode'), reofferMinutes: reoffer, businessHoursOnly: data.get('businessHoursOnly') === 'on' };
		if (!scope.can('manageWorkspace')) return failure(403, values, 'form.error.forbidden');
		const input = { ...values, reofferMinutes: reoffer === '' ? null : reoffer };
		if (!routingInput.safeParse(input).success) return failure(400, values, 'form.error.invalid', { reofferMinutes: 'routing.error.reoffer' });
		await updateRoutingSettings(services().db, scope, input);
		return { settingsSaved: true };
	},
	capacity: async (event) => {
		const scope = await workspaceScope(event);
		const data = await event.request.formData();
		const raw = text(data, 'max').trim();
		const values = { userId: text(data, 'userId'), max: raw };
		if (!scope.can('manageMembers')) return failure(403, values, 'form.error.forbidden');
		const max = raw === '' ? null : raw;
		if (!capacityInput.safeParse(max).success) return failure(400, values, 'form.error.invalid', { max: 'routing.error.capacity' });
		try {
			await setCapacity(services().db, scope, values.userId, max);
		} catch (error) {
			return refused(error, values);
		}
		return { capacitySaved: values.userId };
	},
	hours: async (event) => {
		const scope = await workspaceScope(event);
		const data = await event.request.formData();
		const holidayText = text(data, 'holidays');
		if (!scope.can('manageWorkspace')) return failure(403, { holidays: holidayText }, 'form.error.forbidden');
		const holidays = holidayText.split(/[\s,]+/).filter(Boolean);
		if (!holidaysInput.safeParse(holidays).success) return failure(400, { holidays: holidayText }, 'form.error.invalid', { holidays: 'routing.error.holidays' });
		const hours = [0, 1, 2, 3, 4, 5, 6]
			.filter((day) => data.get(`open-${day}`) === 'on')
			.map((weekday) => ({ weekday, opens: text(data, `opens-${weekday}`), closes: text(data, `closes-${weekday}`) }));
		if (!hoursInput.safeParse(hours).success) return failure(400, { holidays: holidayText }, 'form.error.invalid', { hours: 'routing.error.hours' });
		await setBusinessHours(services().db, scope, hours);
		await setHolidays(services().db, scope, holidays);
		return { hoursSaved: true };
	},
	away: async (event) => {
		const scope = await workspaceScope(event);
		const data = await event.request.formData();
		await setAway(services().db, scope, text(data, 'away') === 'true');
		return { awaySaved: true };
	}
};

import type { Actions, PageServerLoad } from './$types';
import { getWorkspaceSettings, updateWorkspaceSettings, workspaceSettingsInput } from '$lib/server/privacy/settings';
import { clientIp } from '$lib/server/http/request';
import { services } from '$lib/server/services';
import { failure, text } from '../../../../form';
import { workspaceScope } from '../../scope';

/** The workspace's name and time zone (the clock of snoozes, reports and every date shown). */
export const load: PageServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	const settings = await getWorkspaceSettings(services().db, scope);
	// ICU lists canonical names (Asia/Saigon, not Asia/Ho_Chi_Minh); a zone saved under another
	// valid name must still be the one selected, never silently replaced by the first of the list.
	const zones = Intl.supportedValuesOf('timeZone');
	return {
		settings,
		canManage: scope.can('manageWorkspace'),
		timeZones: zones.includes(settings.timeZone) ? zones : [settings.timeZone, ...zones]
	};
};

export const actions: Actions = {
	save: async (event) => {
		const scope = await workspaceScope(event);
		const data = await event.request.formData();
		const values = { name: text(data, 'name').trim(), timeZone: text(data, 'timeZone').trim() };
		if (!scope.can('manageWorkspace')) return failure(403, values, 'form.error.forbidden');
		const parsed = workspaceSettingsInput.safeParse(values);
		if (!parsed.success) {
			const fields = new Set(parsed.error.issues.map((i) => String(i.path[0])));
			return failure(400, values, 'form.error.invalid', {
				...(fields.has('name') ? { name: 'workspace.settings.error.name' as const } : {}),
				...(fields.has('timeZone') ? { timeZone: 'workspace.settings.error.timeZone' as const } : {})
			});
		}
		await updateWorkspaceSettings(services().db, scope, parsed.data, clientIp(event));
		return { saved: true };
	}
};

import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { completeAuthorization, pendingAuthorization } from '$lib/server/connections';
import { refusedWith } from '$lib/server/errors';
import { clientIp } from '$lib/server/http/request';
import { services } from '$lib/server/services';
import { failure, refused } from '../../../../../../form';
import { workspaceScope } from '../../../../scope';

/**
 * The seller granted several Pages or shops on the platform's page: they pick the ones ChatMai
 * connects (and, for Meta, subscribes to the app's webhooks). Nothing is connected before they do.
 */

function context(event: { url: URL; getClientAddress(): string }) {
	const { db, keyRing, platforms, config } = services();
	return { db, keyRing, platforms, config, origin: config.origin ?? event.url.origin, ip: clientIp(event) };
}

export const load: PageServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	if (!scope.can('manageWorkspace')) return { pending: null };
	return { pending: await pendingAuthorization(context(event), scope, event.params.grantId) };
};

export const actions: Actions = {
	default: async (event) => {
		const scope = await workspaceScope(event);
		if (!scope.can('manageWorkspace')) return failure(403, {}, 'form.error.forbidden');
		const picked = (await event.request.formData()).getAll('account').filter((v): v is string => typeof v === 'string');
		if (picked.length === 0) return failure(400, {}, 'connect.pick.none');
		let connected;
		try {
			connected = await completeAuthorization(context(event), scope, event.params.grantId, picked);
		} catch (error) {
			if (refusedWith(error, 'already_connected')) return failure(409, {}, 'connect.problem.taken');
			if (refusedWith(error, 'refused', 'unreachable')) return failure(422, { detail: error.message }, 'connect.pick.refused');
			return refused(error, {});
		}
		if (connected === null) return failure(410, {}, 'connect.pick.expired');
		redirect(303, `/w/${scope.workspaceId}/settings/connections?connected=${connected.length}`);
	}
};

import { redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { defaultScope } from '$lib/server/scope';
import { services } from '$lib/server/services';

/** `/`: the inbox of the workspace last used, or the login page. */
export const load: PageServerLoad = async ({ locals }) => {
	if (!locals.principal) redirect(303, '/login');
	const scope = await defaultScope(services().db, locals.principal);
	if (scope) redirect(303, `/w/${scope.workspaceId}/inbox`);
	// Signed in but in no workspace (every membership removed): say how to get back in.
};

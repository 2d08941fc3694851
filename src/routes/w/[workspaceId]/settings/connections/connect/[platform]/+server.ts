import { error, redirect } from '@sveltejs/kit';
import type { RequestHandler } from './$types';
import { createConnectState } from '$lib/server/connect-state';
import { isPlatform, authorizationRedirectUri } from '$lib/server/connect-flow';
import { services } from '$lib/server/services';
import { workspaceScope } from '../../../../scope';

/**
 * "Connect Shopee" (and the others with an authorization page): sends the seller to the platform's
 * page with a signed state naming them and this workspace. The platform calls /connect/<platform>/callback.
 */
export const GET: RequestHandler = async (event) => {
	const scope = await workspaceScope(event);
	const platform = event.params.platform;
	if (!isPlatform(platform)) error(404, { message: 'Not found', code: 'not_found' });
	if (!scope.can('manageWorkspace')) error(403, { message: 'Only owners and admins can connect platforms', code: 'forbidden' });
	const { config, keyRing, platforms } = services();
	// LINE has no authorization page: its channel is connected with the form.
	if (!platforms.describe(platform).authorizes) error(404, { message: 'Not found', code: 'not_found' });
	const state = createConnectState(keyRing, { userId: scope.userId, workspaceId: scope.workspaceId, platform });
	const target = platforms.authorizeUrl(platform, { redirectUri: authorizationRedirectUri(config.origin ?? event.url.origin, platform), state });
	if (!target) redirect(303, `/w/${scope.workspaceId}/settings/connections?problem=not_configured&platform=${platform}`);
	redirect(303, target.toString());
};

import { error, redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';
import { readConnectState } from '$lib/server/connect-state';
import { authorizationRedirectUri, isPlatform, type CallbackProblem } from '$lib/server/connect-flow';
import { connectAuthorized, holdAuthorization } from '$lib/server/connections';
import { refusedWith } from '$lib/server/errors';
import { clientIp } from '$lib/server/http/request';
import { logger } from '$lib/server/log';
import { AccessDenied, scopeFor } from '$lib/server/scope';
import { services } from '$lib/server/services';
import { loginUrl } from '../../../../redirect';

const log = logger('connect');

/**
 * The platform's authorization page sends the seller here with a code (and Shopee a shop id) and our
 * state. A good state and code connect the granted accounts and go to Settings; anything else shows
 * what went wrong (in the seller's language) and stores nothing.
 */
export const load: PageServerLoad = async (event) => {
	const platform = event.params.platform;
	if (!isPlatform(platform)) error(404, { message: 'Not found', code: 'not_found' });
	const principal = event.locals.principal;
	if (!principal) redirect(303, loginUrl(event.url.pathname + event.url.search));
	const fail = (problem: CallbackProblem, detail = '') => ({ platform, problem, detail, workspaceId: null as string | null });

	const { config, db, keyRing, platforms } = services();
	const read = readConnectState(keyRing, event.url.searchParams.get('state'), { userId: principal.userId, platform });
	if (!read.ok) {
		log.warn('callback_bad_state', { platform, problem: read.problem });
		return fail('state');
	}
	const workspaceId = read.state.workspaceId;
	let scope;
	try {
		scope = await scopeFor(db, principal, workspaceId);
	} catch (cause) {
		if (cause instanceof AccessDenied) return fail('forbidden');
		throw cause;
	}
	if (!scope.can('manageWorkspace')) return { ...fail('forbidden'), workspaceId };
	// The seller said no on the platform's page (Meta: error=access_denied).
	if (event.url.searchParams.get('error')) return { ...fail('denied', event.url.searchParams.get('error_description') ?? ''), workspaceId };

	const origin = config.origin ?? event.url.origin;
	const ctx = { db, keyRing, platforms, config, origin, ip: clientIp(event) };
	let connected: number;
	let held: string | undefined;
	try {
		const accounts = await platforms.exchange(platform, event.url.searchParams, authorizationRedirectUri(origin, platform));
		// Several Pages or shops granted: the seller picks the ones to connect.
		if (accounts.length > 1) held = await holdAuthorization(ctx, scope, platform, accounts);
		connected = held ? 0 : (await connectAuthorized(ctx, scope, platform, accounts)).length;
	} catch (cause) {
		if (refusedWith(cause, 'already_connected')) return { ...fail('taken'), workspaceId };
		// The platform's refusal, or the identity check's (ConnectionError 'refused'); details.code is the platform's code.
		if (refusedWith(cause, 'not_configured', 'unreachable', 'refused')) {
			const platformCode = (cause.details as { code?: string } | undefined)?.code;
			log.info('callback_refused', { platform, workspace_id: workspaceId, code: platformCode ?? cause.code });
			return { ...fail(cause.code === 'refused' && platformCode === 'unreachable' ? 'unreachable' : cause.code, cause.message), workspaceId };
		}
		throw cause;
	}
	if (held) redirect(303, `/w/${workspaceId}/settings/connections/pick/${held}`);
	redirect(303, `/w/${workspaceId}/settings/connections?connected=${connected}`);
};

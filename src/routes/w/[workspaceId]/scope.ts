import { error, redirect, type RequestEvent } from '@sveltejs/kit';
import { scopeFor, type WorkspaceScope } from '$lib/server/scope';
import { refusedWith } from '$lib/server/errors';
import { services } from '$lib/server/services';
import { loginUrl } from '../../redirect';

type Event = Pick<RequestEvent, 'locals' | 'url'> & {
	params: { workspaceId: string };
	/** Present in loads, absent in actions. */
	untrack?: <T>(fn: () => T) => T;
};

/**
 * The caller's scope in the workspace of the URL, for every load and action under /w/[workspaceId].
 * Actions run without the layout's load, so each one calls this itself.
 * Not signed in → the login page (coming back here afterwards); not a member → 404.
 */
export async function workspaceScope(event: Event): Promise<WorkspaceScope> {
	const principal = event.locals.principal;
	// untrack: the layout must not re-run on every navigation inside the workspace.
	if (!principal) {
		const here = () => event.url.pathname + event.url.search;
		redirect(303, loginUrl(event.untrack ? event.untrack(here) : here()));
	}
	try {
		return await scopeFor(services().db, principal, event.params.workspaceId);
	} catch (cause) {
		if (refusedWith(cause, 'not_found', 'forbidden')) error(404, { message: 'Not found', code: 'not_found' });
		throw cause;
	}
}

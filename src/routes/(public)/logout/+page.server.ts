import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { audit } from '$lib/server/audit';
import { invalidateSession } from '$lib/server/auth/session';
import { clearSessionCookie } from '$lib/server/http/cookies';
import { clientIp, isSecure } from '$lib/server/http/request';
import { services } from '$lib/server/services';

export const load: PageServerLoad = ({ locals }) => {
	if (!locals.principal) redirect(303, '/login');
};

export const actions: Actions = {
	default: async (event) => {
		const principal = event.locals.principal;
		if (principal?.kind === 'session') {
			const { db } = services();
			await invalidateSession(db, principal.credentialId);
			await audit(db, { workspaceId: principal.workspaceId, actorId: principal.userId, action: 'auth.logout', targetType: 'user', targetId: principal.userId, ip: clientIp(event) });
		}
		clearSessionCookie(event.cookies, isSecure(event.url));
		redirect(303, '/login');
	}
};

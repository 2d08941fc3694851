import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { acceptInvitation, AccountError, peekInvitation } from '$lib/server/accounts';
import { setSessionWorkspace } from '$lib/server/auth/session';
import { clientIp } from '$lib/server/http/request';
import { services } from '$lib/server/services';
import { accountErrorMessage } from '$lib/i18n';
import { failure } from '../../../form';
import { loginUrl } from '../../../redirect';

const usable = (token: string) => token.length >= 20 && token.length <= 100;

export const load: PageServerLoad = async ({ params }) => {
	const invitation = usable(params.token) ? await peekInvitation(services().db, params.token) : null;
	return { invitation };
};

export const actions: Actions = {
	accept: async (event) => {
		const principal = event.locals.principal;
		if (principal?.kind !== 'session') redirect(303, loginUrl(event.url.pathname));
		if (!usable(event.params.token)) return failure(400, {}, 'invite.error.invalid');
		const { db } = services();
		let workspaceId: string;
		try {
			workspaceId = await acceptInvitation(
				db,
				event.params.token,
				{ id: principal.userId, email: principal.email, name: principal.name, locale: principal.locale },
				clientIp(event)
			);
		} catch (error) {
			if (error instanceof AccountError) return failure(400, {}, accountErrorMessage[error.reason]);
			throw error;
		}
		await setSessionWorkspace(db, principal.credentialId, workspaceId);
		redirect(303, `/w/${workspaceId}/inbox`);
	}
};

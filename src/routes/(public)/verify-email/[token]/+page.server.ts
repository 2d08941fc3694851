import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { setSessionWorkspace } from '$lib/server/auth/session';
import { peekVerification, verifyEmail } from '$lib/server/email-verification';
import { clientIp } from '$lib/server/http/request';
import { services } from '$lib/server/services';
import { accountRefusal, failure, refused } from '../../../form';

/** The link opens a page with one button (a mail scanner's GET changes nothing). */
export const load: PageServerLoad = async ({ params }) => ({ pending: await peekVerification(services().db, params.token) });

export const actions: Actions = {
	default: async (event) => {
		const { db } = services();
		let result;
		try {
			result = await verifyEmail(db, event.params.token, clientIp(event));
		} catch (error) {
			if (accountRefusal(error)) return failure(400, {}, 'verify.invalid.body');
			return refused(error, {});
		}
		const principal = event.locals.principal;
		const mine = principal?.kind === 'session' && principal.userId === result.userId;
		if (result.joinedWorkspaceId && mine) {
			await setSessionWorkspace(db, principal.credentialId, result.joinedWorkspaceId);
			redirect(303, `/w/${result.joinedWorkspaceId}/inbox`);
		}
		return { verified: true };
	}
};

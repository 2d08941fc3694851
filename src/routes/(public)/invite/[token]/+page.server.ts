import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { acceptInvitation, isEmailVerified, peekInvitation } from '$lib/server/accounts';
import { setSessionWorkspace } from '$lib/server/auth/session';
import { sendVerification } from '$lib/server/email-verification';
import { clientIp } from '$lib/server/http/request';
import { mailContext, services } from '$lib/server/services';
import { accountErrorMessage } from '$lib/i18n';
import { accountRefusal, failure, refused } from '../../../form';
import { loginUrl } from '../../../redirect';

const usable = (token: string) => token.length >= 20 && token.length <= 100;

/**
 * The invitation, and for a signed-in user whether it is theirs to accept: `other_email` (bound to
 * another address) or `unverified` (their address, not confirmed yet) say so before they try.
 */
export const load: PageServerLoad = async ({ params, locals }) => {
	const { db } = services();
	const found = usable(params.token) ? await peekInvitation(db, params.token) : null;
	const invitation = found ? { workspaceName: found.workspaceName, role: found.role, email: found.email } : null;
	let status: 'ok' | 'other_email' | 'unverified' = 'ok';
	const principal = locals.principal;
	if (found?.email && principal?.kind === 'session') {
		if (principal.email.toLowerCase() !== found.email.toLowerCase()) status = 'other_email';
		else if (!(await isEmailVerified(db, principal.userId))) status = 'unverified';
	}
	return { invitation, status };
};

export const actions: Actions = {
	accept: async (event) => {
		const principal = event.locals.principal;
		if (principal?.kind !== 'session') redirect(303, loginUrl(event.url.pathname));
		if (!usable(event.params.token)) return failure(400, {}, 'invite.error.invalid');
		const { db } = services();
		let workspaceId: string;
		try {
			workspaceId = await acceptInvitation(db, event.params.token, { id: principal.userId }, clientIp(event));
		} catch (error) {
			const reason = accountRefusal(error);
			if (reason) return failure(400, {}, accountErrorMessage[reason]);
			return refused(error, {});
		}
		await setSessionWorkspace(db, principal.credentialId, workspaceId);
		redirect(303, `/w/${workspaceId}/inbox`);
	},

	/** A new verification link that also joins this invitation's workspace once opened. */
	resend: async (event) => {
		const principal = event.locals.principal;
		if (principal?.kind !== 'session') redirect(303, loginUrl(event.url.pathname));
		const { db } = services();
		const found = usable(event.params.token) ? await peekInvitation(db, event.params.token) : null;
		if (!found) return failure(400, {}, 'invite.error.invalid');
		const bound = found.email?.toLowerCase() === principal.email.toLowerCase();
		await sendVerification(db, mailContext(event.url.origin), principal.userId, bound ? found.id : null);
		return { resent: true };
	}
};

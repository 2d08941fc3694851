import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { peekInvitation, signUp, signupInput } from '$lib/server/accounts';
import { createSession, invalidateSession } from '$lib/server/auth/session';
import { throttleSignup } from '$lib/server/auth/throttle';
import { refusedWith } from '$lib/server/errors';
import { setSessionCookie } from '$lib/server/http/cookies';
import { clientIp, isSecure } from '$lib/server/http/request';
import { mailContext, services } from '$lib/server/services';
import { fieldErrors } from '$lib/i18n';
import { safeRedirect } from '../../redirect';
import { accountRefusal, failure, refused, text } from '../../form';

const usableToken = (token: string) => token.length >= 20 && token.length <= 100;

/** From an invitation link (`?invitation=`), the page joins that workspace and asks no shop name. */
export const load: PageServerLoad = async ({ locals, url }) => {
	const redirectTo = safeRedirect(url.searchParams.get('redirectTo'));
	const token = url.searchParams.get('invitation');
	if (locals.principal?.kind === 'session') redirect(303, token ? `/invite/${encodeURIComponent(token)}` : (redirectTo ?? '/'));
	if (token === null) return { redirectTo, invitation: null };
	const found = usableToken(token) ? await peekInvitation(services().db, token) : null;
	return {
		redirectTo,
		invitation: { token, valid: found !== null, workspaceName: found?.workspaceName ?? null, role: found?.role ?? null, email: found?.email ?? null }
	};
};

export const actions: Actions = {
	default: async (event) => {
		const data = await event.request.formData();
		const invitation = text(data, 'invitation') || undefined;
		const values = {
			name: text(data, 'name'),
			email: text(data, 'email'),
			workspaceName: invitation ? '' : text(data, 'workspaceName'),
			redirectTo: safeRedirect(data.get('redirectTo'))
		};
		const parsed = signupInput.safeParse({
			name: values.name,
			email: values.email,
			password: text(data, 'password'),
			workspaceName: values.workspaceName.trim() || undefined,
			locale: event.locals.locale,
			invitation
		});
		if (!parsed.success) {
			const errors = fieldErrors(parsed.error, {
				name: 'field.error.name',
				email: 'field.error.email',
				password: 'field.error.password',
				workspaceName: 'field.error.workspaceName'
			});
			return failure(400, values, 'form.error.invalid', errors);
		}

		const { db, config } = services();
		const ip = clientIp(event);
		let created;
		try {
			await throttleSignup(db, ip, config.signupLimitPerHour);
			created = await signUp(db, parsed.data, ip, mailContext(event.url.origin));
		} catch (error) {
			if (refusedWith(error, 'rate_limited')) return failure(429, values, 'form.error.rateLimited');
			if (refusedWith(error, 'invitation_invalid')) return failure(400, values, 'signup.error.invitation');
			if (refusedWith(error, 'invitation_email_mismatch')) {
				return failure(400, values, 'invite.error.emailMismatch', { email: 'invite.error.emailMismatch' });
			}
			// One message for every other refusal, so the form does not tell who has an account.
			if (accountRefusal(error)) return failure(400, values, 'signup.error.failed');
			return refused(error, values);
		}

		const incoming = event.locals.principal;
		if (incoming?.kind === 'session') await invalidateSession(db, incoming.credentialId);
		const { token, session } = await createSession(
			db,
			created.user.id,
			created.workspaceId,
			{ ip, userAgent: event.request.headers.get('user-agent') ?? undefined },
			{ days: config.sessionDays }
		);
		setSessionCookie(event.cookies, token, session.expiresAt, isSecure(event.url));
		// Bound to the address: the invitation page says to confirm it first (the link joins).
		if (created.invitation === 'verify_email' && invitation) redirect(303, `/invite/${encodeURIComponent(invitation)}`);
		if (created.invitation === 'joined') redirect(303, `/w/${created.workspaceId}/inbox`);
		redirect(303, created.workspaceId ? (values.redirectTo ?? `/w/${created.workspaceId}/inbox`) : '/');
	}
};

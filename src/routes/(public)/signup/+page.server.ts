import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { AccountError, signUp, signupInput } from '$lib/server/accounts';
import { createSession, invalidateSession } from '$lib/server/auth/session';
import { RateLimited, throttleSignup } from '$lib/server/auth/throttle';
import { setSessionCookie } from '$lib/server/http/cookies';
import { clientIp, isSecure } from '$lib/server/http/request';
import { services } from '$lib/server/services';
import { fieldErrors } from '$lib/i18n';
import { safeRedirect } from '../../redirect';
import { failure, text } from '../../form';

export const load: PageServerLoad = ({ locals, url }) => {
	const redirectTo = safeRedirect(url.searchParams.get('redirectTo'));
	if (locals.principal?.kind === 'session') redirect(303, redirectTo ?? '/');
	return { redirectTo };
};

export const actions: Actions = {
	default: async (event) => {
		const data = await event.request.formData();
		const values = {
			name: text(data, 'name'),
			email: text(data, 'email'),
			workspaceName: text(data, 'workspaceName'),
			redirectTo: safeRedirect(data.get('redirectTo'))
		};
		const parsed = signupInput.safeParse({
			name: values.name,
			email: values.email,
			password: text(data, 'password'),
			workspaceName: values.workspaceName.trim() || undefined,
			locale: event.locals.locale
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
			created = await signUp(db, parsed.data, ip);
		} catch (error) {
			if (error instanceof RateLimited) return failure(429, values, 'form.error.rateLimited');
			// One message for every refusal, so the form does not tell who has an account.
			if (error instanceof AccountError) return failure(400, values, 'signup.error.failed');
			throw error;
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
		redirect(303, values.redirectTo ?? `/w/${created.workspaceId}/inbox`);
	}
};

import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { logIn, loginInput } from '$lib/server/accounts';
import { createSession, invalidateSession } from '$lib/server/auth/session';
import { loginSucceeded, throttleLogin } from '$lib/server/auth/throttle';
import { setSessionCookie } from '$lib/server/http/cookies';
import { clientIp, isSecure } from '$lib/server/http/request';
import { defaultScope } from '$lib/server/scope';
import { services } from '$lib/server/services';
import { refusedWith } from '$lib/server/errors';
import { fieldErrors } from '$lib/i18n';
import { safeRedirect } from '../../redirect';
import { accountRefusal, failure, refused, text } from '../../form';

export const load: PageServerLoad = ({ locals, url }) => {
	const redirectTo = safeRedirect(url.searchParams.get('redirectTo'));
	if (locals.principal?.kind === 'session') redirect(303, redirectTo ?? '/');
	return { redirectTo, resetDone: url.searchParams.has('reset') };
};

export const actions: Actions = {
	default: async (event) => {
		const data = await event.request.formData();
		const email = text(data, 'email');
		const password = text(data, 'password');
		const redirectTo = safeRedirect(data.get('redirectTo'));
		const values = { email, redirectTo };

		const parsed = loginInput.safeParse({ email, password });
		if (!parsed.success) {
			return failure(400, values, 'login.error.credentials', fieldErrors(parsed.error, { email: 'field.error.email' }));
		}

		const { db, config } = services();
		const ip = clientIp(event);
		let user;
		try {
			await throttleLogin(db, ip, parsed.data.email, config.loginLimitPerIp);
			user = await logIn(db, parsed.data, ip);
		} catch (error) {
			if (refusedWith(error, 'rate_limited')) return failure(429, values, 'form.error.rateLimited');
			if (accountRefusal(error)) return failure(400, values, 'login.error.credentials');
			return refused(error, values);
		}
		await loginSucceeded(db, parsed.data.email);

		// Rotation: a session that came with the request is replaced, never reused.
		const incoming = event.locals.principal;
		if (incoming?.kind === 'session') await invalidateSession(db, incoming.credentialId);
		const scope = await defaultScope(db, { kind: 'session', userId: user.id, email: user.email, name: user.name, locale: user.locale, credentialId: '', workspaceId: null });
		const { token, session } = await createSession(
			db,
			user.id,
			scope?.workspaceId ?? null,
			{ ip, userAgent: event.request.headers.get('user-agent') ?? undefined },
			{ days: config.sessionDays }
		);
		setSessionCookie(event.cookies, token, session.expiresAt, isSecure(event.url));
		redirect(303, redirectTo ?? (scope ? `/w/${scope.workspaceId}/inbox` : '/'));
	}
};

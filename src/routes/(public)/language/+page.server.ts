import { redirect } from '@sveltejs/kit';
import type { Actions } from './$types';
import { setLocale } from '$lib/server/accounts';
import { setLocaleCookie } from '$lib/server/http/cookies';
import { isSecure } from '$lib/server/http/request';
import { services } from '$lib/server/services';
import { isLocale } from '$lib/i18n';
import { safeRedirect } from '../../redirect';
import { failure, text } from '../../form';

export const actions: Actions = {
	/** The language switch on every page posts here: the cookie always, the account when signed in. */
	default: async (event) => {
		const data = await event.request.formData();
		const locale = text(data, 'locale');
		if (!isLocale(locale)) return failure(400, {}, 'form.error.invalid');
		setLocaleCookie(event.cookies, locale, isSecure(event.url));
		const principal = event.locals.principal;
		if (principal?.kind === 'session') await setLocale(services().db, principal.userId, locale);
		redirect(303, safeRedirect(data.get('redirectTo')) ?? '/language');
	}
};

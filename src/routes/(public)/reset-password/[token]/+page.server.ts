import { redirect } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '$lib/server/auth/password';
import { clearSessionCookie } from '$lib/server/http/cookies';
import { clientIp, isSecure } from '$lib/server/http/request';
import { peekPasswordReset, resetPassword } from '$lib/server/password-reset';
import { services } from '$lib/server/services';
import { accountRefusal, failure, refused, text } from '../../../form';

export const load: PageServerLoad = async ({ params }) => ({ valid: await peekPasswordReset(services().db, params.token) });

export const actions: Actions = {
	default: async (event) => {
		const data = await event.request.formData();
		const next = text(data, 'password');
		const none = {};
		if (next.length < PASSWORD_MIN_LENGTH || next.length > PASSWORD_MAX_LENGTH) {
			return failure(400, none, 'form.error.invalid', { password: 'field.error.password' });
		}
		if (next !== text(data, 'confirm')) return failure(400, none, 'form.error.invalid', { confirm: 'profile.password.error.mismatch' });
		try {
			await resetPassword(services().db, event.params.token, next, clientIp(event));
		} catch (error) {
			if (accountRefusal(error)) return failure(400, none, 'reset.invalid.body');
			return refused(error, none);
		}
		// Every session of the account ended, this browser's too.
		clearSessionCookie(event.cookies, isSecure(event.url));
		redirect(303, '/login?reset=1');
	}
};

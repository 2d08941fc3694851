import type { Actions } from './$types';
import { email } from '$lib/server/accounts';
import { refusedWith } from '$lib/server/errors';
import { requestPasswordReset } from '$lib/server/password-reset';
import { clientIp } from '$lib/server/http/request';
import { mailContext, services } from '$lib/server/services';
import { failure, refused, text } from '../../form';

export const actions: Actions = {
	/** The same answer whether or not the address has an account. */
	default: async (event) => {
		const address = text(await event.request.formData(), 'email');
		const values = { email: address };
		if (!email.safeParse(address).success) return failure(400, values, 'form.error.invalid', { email: 'field.error.email' });
		try {
			await requestPasswordReset(services().db, mailContext(event.url.origin), address, clientIp(event));
		} catch (error) {
			if (refusedWith(error, 'rate_limited')) return failure(429, values, 'form.error.rateLimited');
			return refused(error, values);
		}
		return { ...values, sent: true };
	}
};

import type { Actions, PageServerLoad } from './$types';
import { changePassword, isEmailVerified } from '$lib/server/accounts';
import { sendVerification } from '$lib/server/email-verification';
import { invalidateUserSessions } from '$lib/server/auth/session';
import { loginSucceeded, throttleLogin } from '$lib/server/auth/throttle';
import { refusedWith } from '$lib/server/errors';
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '$lib/server/auth/password';
import { clientIp } from '$lib/server/http/request';
import { mailContext, services } from '$lib/server/services';
import { accountRefusal, failure, refused, text } from '../../../../form';
import { workspaceScope } from '../../scope';
import { getAlertSettings, setAlertSettings } from '$lib/server/alerts';
import { isAway, setAway } from '$lib/server/routing';

export const load: PageServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	const { db } = services();
	const [emailVerified, alerts, away] = await Promise.all([isEmailVerified(db, scope.userId), getAlertSettings(db, scope.userId), isAway(db, scope)]);
	return { emailVerified, alerts, away, canConverse: scope.can('converse') };
};

export const actions: Actions = {
	/** Sound and desktop notifications for this user (the browser asked for permission before posting). */
	alerts: async (event) => {
		const scope = await workspaceScope(event);
		const data = await event.request.formData();
		await setAlertSettings(services().db, scope.userId, { sound: data.get('sound') === 'on', desktop: data.get('desktop') === 'on' });
		return { alertsSaved: true };
	},
	/** Pauses automatic assignment to this member in this workspace ("away"), or ends the pause. */
	away: async (event) => {
		const scope = await workspaceScope(event);
		const data = await event.request.formData();
		await setAway(services().db, scope, text(data, 'away') === 'true');
		return { awaySaved: true };
	},

	/** Mails a new verification link to the account's address. */
	resendVerification: async (event) => {
		const scope = await workspaceScope(event);
		if (scope.principal.kind !== 'session') return failure(403, {}, 'form.error.forbidden');
		await sendVerification(services().db, mailContext(event.url.origin), scope.userId);
		return { verificationSent: true };
	},

	/** Changes the password and signs the user out everywhere else (this session stays). */
	password: async (event) => {
		const scope = await workspaceScope(event);
		const principal = scope.principal;
		const data = await event.request.formData();
		const current = text(data, 'current');
		const next = text(data, 'next');
		const none = {};
		if (principal.kind !== 'session') return failure(403, none, 'form.error.forbidden');
		if (next.length < PASSWORD_MIN_LENGTH || next.length > PASSWORD_MAX_LENGTH) {
			return failure(400, none, 'form.error.invalid', { next: 'field.error.password' });
		}
		if (next !== text(data, 'confirm')) return failure(400, none, 'form.error.invalid', { confirm: 'profile.password.error.mismatch' });

		const { db } = services();
		try {
			// A wrong current password is a guess like a failed login: the same limits apply.
			await throttleLogin(db, clientIp(event), principal.email);
			await changePassword(db, principal.userId, current, next);
		} catch (error) {
			if (refusedWith(error, 'rate_limited')) return failure(429, none, 'form.error.rateLimited');
			if (accountRefusal(error)) return failure(400, none, 'form.error.invalid', { current: 'profile.password.error.current' });
			return refused(error, none);
		}
		await loginSucceeded(db, principal.email);
		await invalidateUserSessions(db, principal.userId, principal.credentialId);
		return { passwordChanged: true };
	}
};

import type { Cookies } from '@sveltejs/kit';

export const SESSION_COOKIE = 'chatmai_session';
export const LOCALE_COOKIE = 'chatmai_locale';

/** HttpOnly, SameSite=Lax, Secure whenever the site is served over https. */
export function setSessionCookie(cookies: Cookies, token: string, expiresAt: Date, secure: boolean): void {
	cookies.set(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure, expires: expiresAt });
}

export function clearSessionCookie(cookies: Cookies, secure: boolean): void {
	cookies.delete(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'lax', secure });
}

export function setLocaleCookie(cookies: Cookies, locale: 'en' | 'th', secure: boolean): void {
	cookies.set(LOCALE_COOKIE, locale, { path: '/', httpOnly: false, sameSite: 'lax', secure, maxAge: 60 * 60 * 24 * 365 });
}

/** The bearer credential of a request: `Authorization: Bearer …` wins over the cookie. */
export function bearerToken(request: Request, cookies: Cookies): { token: string | null; via: 'header' | 'cookie' | null } {
	const header = request.headers.get('authorization');
	if (header?.toLowerCase().startsWith('bearer ')) return { token: header.slice(7).trim(), via: 'header' };
	const cookie = cookies.get(SESSION_COOKIE);
	return cookie ? { token: cookie, via: 'cookie' } : { token: null, via: null };
}

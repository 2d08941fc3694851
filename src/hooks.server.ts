import { sequence } from '@sveltejs/kit/hooks';
import { json, type Handle, type HandleServerError } from '@sveltejs/kit';
import { authenticate } from '$lib/server/auth/principal';
import { services } from '$lib/server/services';
import { bearerToken, LOCALE_COOKIE, setSessionCookie } from '$lib/server/http/cookies';
import { isSecure } from '$lib/server/http/request';
import { isDatabaseUnavailable } from '$lib/server/db';
import { isDomainError } from '$lib/server/errors';
import { checkOrigin } from '$lib/server/http/csrf';
import { logger, errorMessage } from '$lib/server/log';

const log = logger('http');

/**
 * U+0000 in the path or the query string is refused before any route sees it: PostgreSQL text
 * cannot hold it (bodies are checked where they are parsed: readJson, the forms' text()).
 */
const handleNul: Handle = async ({ event, resolve }) => {
	const { pathname, searchParams } = event.url;
	if (/%00/.test(pathname) || [...searchParams].some(([key, value]) => key.includes('\u0000') || value.includes('\u0000'))) {
		const message = 'The address must not contain the character U+0000';
		return pathname.startsWith('/api/')
			? json({ error: { code: 'invalid_input', message } }, { status: 400 })
			: new Response(message, { status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' } });
	}
	return resolve(event);
};

/** Who is asking: a session cookie or a bearer token, validated by the one shared function. */
const handleAuth: Handle = async ({ event, resolve }) => {
	const { token, via } = bearerToken(event.request, event.cookies);
	const { db, config } = services();
	event.locals.principal = await authenticate(db, token, { days: config.sessionDays });
	event.locals.credentialVia = event.locals.principal ? via : null;
	if (event.locals.principal?.refreshedUntil && via === 'cookie' && token) {
		setSessionCookie(event.cookies, token, event.locals.principal.refreshedUntil, isSecure(event.url));
	}
	return resolve(event);
};

/** The language: the signed-in user's choice, else the cookie, else the browser's. */
const handleLocale: Handle = async ({ event, resolve }) => {
	const cookie = event.cookies.get(LOCALE_COOKIE);
	const header = event.request.headers.get('accept-language') ?? '';
	event.locals.locale =
		cookie === 'th' || cookie === 'en' ? cookie : (event.locals.principal?.locale ?? (/^th\b/i.test(header) ? 'th' : 'en'));
	return resolve(event, { transformPageChunk: ({ html }) => html.replace('%lang%', event.locals.locale) });
};

/** JSON routes: cookie-authenticated writes must come from our own origin (Kit's check covers forms only). */
const handleApiCsrf: Handle = async ({ event, resolve }) => {
	if (event.url.pathname.startsWith('/api/') && event.locals.credentialVia === 'cookie') {
		const refusal = checkOrigin(event.request, event.url);
		if (refusal) return refusal;
	}
	return resolve(event);
};

const handleHeaders: Handle = async ({ event, resolve }) => {
	const response = await resolve(event);
	response.headers.set('x-content-type-options', 'nosniff');
	response.headers.set('referrer-policy', 'same-origin');
	response.headers.set('permissions-policy', 'camera=(), microphone=(), geolocation=()');
	if (isSecure(event.url)) response.headers.set('strict-transport-security', 'max-age=31536000; includeSubDomains');
	return response;
};

export const handle = sequence(handleNul, handleAuth, handleLocale, handleApiCsrf, handleHeaders);

export const handleError: HandleServerError = ({ error, event, status }) => {
	// A refusal reaching this point was not mapped by its load, action or endpoint (Kit can only
	// answer 500 now): say which, so the route learns to answer it (src/routes/form.ts, http/api.ts).
	if (isDomainError(error)) {
		log.error('unmapped_refusal', { path: event.url.pathname, code: error.code, status: error.status });
		return { message: status === 404 ? 'Not found' : 'Something went wrong', code: error.code };
	}
	if (isDatabaseUnavailable(error)) {
		log.warn('database_unavailable', { path: event.url.pathname });
		return { message: 'The database is unavailable. Please try again in a moment.', code: 'database_unavailable' };
	}
	if (status >= 500) log.error('unhandled', { path: event.url.pathname, status, error: errorMessage(error) });
	return { message: status === 404 ? 'Not found' : 'Something went wrong', code: status === 404 ? 'not_found' : 'internal' };
};

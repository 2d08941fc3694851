import { json } from '@sveltejs/kit';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * For a cookie-authenticated write to a JSON route: the request must say it comes from our own
 * origin (Origin header, or Sec-Fetch-Site: same-origin). Returns a 403 response, or null.
 */
export function checkOrigin(request: Request, url: URL): Response | null {
	if (SAFE.has(request.method)) return null;
	const origin = request.headers.get('origin');
	const site = request.headers.get('sec-fetch-site');
	if (origin === url.origin || (!origin && site === 'same-origin')) return null;
	return json({ error: { code: 'csrf', message: 'Cross-site request refused' } }, { status: 403 });
}

/**
 * A `redirectTo` value made safe: a path on this site, or null. Anything that could leave the
 * site (`//host`, `/\host`, `https://…`, control characters) is refused.
 */
export function safeRedirect(value: unknown): string | null {
	if (typeof value !== 'string' || value.length > 2000 || !value.startsWith('/')) return null;
	if (value.startsWith('//') || value.startsWith('/\\') || /[\u0000-\u001f\u007f]/.test(value)) return null;
	try {
		const base = 'http://chatmai.invalid';
		const url = new URL(value, base);
		if (url.origin !== base) return null;
		return url.pathname + url.search + url.hash;
	} catch {
		return null;
	}
}

/** The login page, asking to come back to `path` afterwards. */
export function loginUrl(path: string): string {
	return `/login?redirectTo=${encodeURIComponent(path)}`;
}

import type { RequestEvent } from '@sveltejs/kit';

/** The client address, as adapter-node reports it (honours ADDRESS_HEADER behind a proxy). */
export function clientIp(event: Pick<RequestEvent, 'getClientAddress'>): string | undefined {
	try {
		return event.getClientAddress();
	} catch {
		return undefined;
	}
}

/** Secure cookies whenever the public origin is https. */
export function isSecure(url: URL): boolean {
	return url.protocol === 'https:';
}

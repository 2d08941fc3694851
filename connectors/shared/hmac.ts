/** HMAC-SHA256 signing and constant-time comparison, shared by every connector's verify and request signing. */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { HeadersLike } from '../types.ts';

export type Digest = 'hex' | 'base64';

/** HMAC-SHA256 over the concatenation of `parts`; strings are taken as UTF-8, bytes as they are. */
export function hmacSha256(key: string, parts: ReadonlyArray<string | Uint8Array>, digest: Digest): string {
	const mac = createHmac('sha256', key);
	for (const part of parts) mac.update(part);
	return mac.digest(digest);
}

/**
 * Compares a received signature with the expected one in constant time. Hex is compared case-insensitively
 * (Lazada documents upper case for API signs, lower case in push samples).
 */
export function signatureMatches(received: string | undefined, expected: string, digest: Digest): boolean {
	if (!received) return false;
	const a = Buffer.from(digest === 'hex' ? received.trim().toLowerCase() : received.trim(), 'utf8');
	const b = Buffer.from(digest === 'hex' ? expected.toLowerCase() : expected, 'utf8');
	if (a.length !== b.length) return false;
	return timingSafeEqual(a, b);
}

/** Reads one header from a `Headers` object or a Node-style record, case-insensitively. */
export function headerValue(headers: HeadersLike, name: string): string | undefined {
	if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
	const wanted = name.toLowerCase();
	for (const [key, value] of Object.entries(headers as Record<string, string | readonly string[] | undefined>)) {
		if (key.toLowerCase() !== wanted || value === undefined) continue;
		return typeof value === 'string' ? value : value[0];
	}
	return undefined;
}

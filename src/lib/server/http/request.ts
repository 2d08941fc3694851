import type { RequestEvent } from '@sveltejs/kit';
import { DomainError } from '../errors.ts';

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

/** A body over its limit: the caller answers 413. */
export class BodyTooLarge extends DomainError<'payload_too_large'> {
	readonly limit: number;
	constructor(limit: number) {
		super(413, 'payload_too_large', `The body is larger than ${limit} bytes`, { headers: { connection: 'close' } });
		this.limit = limit;
	}
}

/**
 * Reads a request body up to `maxBytes`, declared or chunked: stops reading and throws
 * BodyTooLarge as soon as it is over (also when adapter-node's BODY_SIZE_LIMIT stopped it first).
 */
export async function readBody(request: Request, maxBytes: number): Promise<Uint8Array> {
	const declared = Number(request.headers.get('content-length') ?? '0');
	if (declared > maxBytes) throw new BodyTooLarge(maxBytes);
	if (!request.body) return new Uint8Array(0);
	const reader = request.body.getReader();
	const chunks: Uint8Array[] = [];
	let size = 0;
	try {
		for (;;) {
			const { done, value } = await reader.read();
			if (done) break;
			size += value.byteLength;
			// Not cancelled: that would destroy the socket before the 413 is written. The answer
			// closes the connection instead (toErrorResponse), leaving the rest unread.
			if (size > maxBytes) throw new BodyTooLarge(maxBytes);
			chunks.push(value);
		}
	} catch (error) {
		if (error instanceof BodyTooLarge) throw error;
		// adapter-node errors the stream with a 413 SvelteKitError past BODY_SIZE_LIMIT.
		if ((error as { status?: number } | null)?.status === 413) throw new BodyTooLarge(maxBytes);
		throw error;
	}
	const body = new Uint8Array(size);
	let offset = 0;
	for (const chunk of chunks) {
		body.set(chunk, offset);
		offset += chunk.byteLength;
	}
	return body;
}

/**
 * The path of the first string holding U+0000 in a parsed value (keys included), or null.
 * PostgreSQL text cannot store it: such input is refused at the edge with 400, never a 500 later.
 */
export function findNul(value: unknown, path: (string | number)[] = []): string | null {
	if (typeof value === 'string') return value.includes('\u0000') ? path.join('.') || '(root)' : null;
	if (Array.isArray(value)) {
		for (let i = 0; i < value.length; i++) {
			const found = findNul(value[i], [...path, i]);
			if (found !== null) return found;
		}
		return null;
	}
	if (value && typeof value === 'object') {
		for (const [key, item] of Object.entries(value)) {
			if (key.includes('\u0000')) return [...path, key.replaceAll('\u0000', '\\u0000')].join('.');
			const found = findNul(item, [...path, key]);
			if (found !== null) return found;
		}
	}
	return null;
}

/** Form fields: U+0000 is dropped (a form shows back what was typed, minus what cannot be stored). */
export function withoutNul(value: string): string {
	return value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
}

/** Turning raw webhook bytes into validated data, with one error type for every way that can fail. */
import type { ZodType } from 'zod';
import { MalformedPayloadError } from './errors.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Decodes UTF-8 and parses JSON; invalid bytes or JSON throw `MalformedPayloadError('invalid_json')`. */
export function parseJson(rawBody: Uint8Array): unknown {
	try {
		const text = utf8.decode(rawBody);
		// PostgreSQL text cannot hold U+0000: a customer's message keeps everything else.
		return text.includes('\\u0000') ? JSON.parse(text, (_key, value) => (typeof value === 'string' ? value.replaceAll('\u0000', '') : value)) : JSON.parse(text);
	} catch {
		throw new MalformedPayloadError('invalid_json', 'webhook body is not valid UTF-8 JSON');
	}
}

/** Parses JSON and validates it; a wrong shape throws `MalformedPayloadError('invalid_shape')` with paths, not values. */
export function parsePayload<T>(rawBody: Uint8Array, schema: ZodType<T>, what: string): T {
	return validate(schema, parseJson(rawBody), what);
}

/**
 * The account ids at `read(json)` of a body, for `Connector.accountIds`: strings and numbers become strings,
 * anything else (and a body that is not JSON) gives none. Never throws.
 */
export function readAccountIds(rawBody: Uint8Array, read: (json: Record<string, unknown>) => unknown[]): string[] {
	let json: unknown;
	try {
		json = parseJson(rawBody);
	} catch {
		return [];
	}
	if (!json || typeof json !== 'object' || Array.isArray(json)) return [];
	const ids = new Set<string>();
	for (const value of read(json as Record<string, unknown>)) {
		if ((typeof value === 'string' && value.length > 0) || (typeof value === 'number' && Number.isFinite(value))) ids.add(String(value));
	}
	return [...ids];
}

/** Parses a JSON string nested inside a payload (TikTok and Lazada message `content`); `undefined` when it is not JSON. */
export function parseNestedJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

/** Seconds or milliseconds since the epoch → Date; values below 10^11 are taken as seconds. */
export function epochToDate(value: number): Date {
	return new Date(value < 1e11 ? value * 1000 : value);
}

/** Validates an already-parsed value (one item of a batch); a wrong shape throws `MalformedPayloadError('invalid_shape')`. */
export function validate<T>(schema: ZodType<T>, value: unknown, what: string): T {
	const result = schema.safeParse(value);
	if (result.success) return result.data;
	const issues = result.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.code}`);
	throw new MalformedPayloadError('invalid_shape', `${what} does not match the documented shape`, issues);
}

/**
 * The top-level `timestamp` of a webhook body (seconds or milliseconds), which Shopee, Lazada and
 * TikTok Shop put inside the signed body; null when there is none or the body is not JSON.
 */
export function bodyTimestamp(rawBody: Uint8Array): Date | null {
	let value: unknown;
	try {
		value = parseJson(rawBody);
	} catch {
		return null;
	}
	const timestamp = value && typeof value === 'object' ? (value as { timestamp?: unknown }).timestamp : undefined;
	return typeof timestamp === 'number' && Number.isFinite(timestamp) && timestamp > 0 ? epochToDate(timestamp) : null;
}

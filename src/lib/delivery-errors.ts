/**
 * Why an outgoing message was not delivered, stored as a code with its parameters
 * (`messages.delivery_error`, jsonb, migration 0015) and worded for the seller by the UI in English
 * or Thai. The technical detail (the platform's or the network's own words) is kept beside the code
 * for the curious, never shown as the sentence. Shared by the server, the live document and the browser.
 */

export const DELIVERY_ERROR_CODES = [
	/** The connection was disconnected before the reply went out. */
	'disconnected',
	/** The platform's reply window had closed (`closedAt` when known). */
	'window_closed',
	/** The platform allows replies only after the customer wrote, and they never did. */
	'no_customer_message',
	/** The platform did not answer (network, timeout, 5xx, rate limit), `attempts` times. */
	'platform_unreachable',
	/** The platform no longer accepts the connection's token. */
	'unauthorized',
	/** Longer than the platform allows. */
	'too_long',
	/** The connection's settings are not valid for sending. */
	'invalid_settings',
	/** The platform refused the message for a reason of its own (in `detail`). */
	'platform_refused',
	/** Our own unexpected failure, `attempts` times. */
	'internal',
	/** A reason this version does not know (an old row, a newer server). */
	'unknown'
] as const;
export type DeliveryErrorCode = (typeof DELIVERY_ERROR_CODES)[number];

export interface DeliveryError {
	code: DeliveryErrorCode;
	/** Tries made before giving up (`platform_unreachable`, `internal`). */
	attempts?: number;
	/** ISO 8601: when the reply window closed (`window_closed`). */
	closedAt?: string;
	/** The platform's error code or HTTP status, e.g. `190`, `401`. */
	platformCode?: string;
	/** The technical detail in English, for a disclosure: ids and the platform's reason, never tokens or message text. */
	detail?: string;
}

export function isDeliveryErrorCode(value: unknown): value is DeliveryErrorCode {
	return typeof value === 'string' && (DELIVERY_ERROR_CODES as readonly string[]).includes(value);
}

/**
 * Reads a stored reason, whatever its age: a code object as written now, or a sentence written
 * before codes existed (kept as the technical detail of an `unknown` reason). Null for no reason.
 */
export function readDeliveryError(value: unknown): DeliveryError | null {
	if (value === null || value === undefined || value === '') return null;
	if (typeof value === 'string') return { code: 'unknown', detail: value };
	if (typeof value !== 'object') return { code: 'unknown' };
	const raw = value as Record<string, unknown>;
	const error: DeliveryError = { code: isDeliveryErrorCode(raw.code) ? raw.code : 'unknown' };
	if (typeof raw.attempts === 'number' && Number.isFinite(raw.attempts)) error.attempts = raw.attempts;
	if (typeof raw.closedAt === 'string') error.closedAt = raw.closedAt;
	if (typeof raw.platformCode === 'string') error.platformCode = raw.platformCode;
	if (typeof raw.detail === 'string') error.detail = raw.detail;
	return error;
}

/** True when two stored reasons say the same (they are objects, so `===` cannot tell). */
export function sameDeliveryError(a: unknown, b: unknown): boolean {
	const x = readDeliveryError(a);
	const y = readDeliveryError(b);
	if (!x || !y) return x === y;
	return x.code === y.code && x.attempts === y.attempts && x.closedAt === y.closedAt && x.platformCode === y.platformCode && x.detail === y.detail;
}

/** How the REST API shows a reason: a stable code, and its parameters and detail apart. */
export function deliveryErrorView(value: unknown): { deliveryError: DeliveryErrorCode | null; deliveryErrorDetail: Omit<DeliveryError, 'code'> | null } {
	const error = readDeliveryError(value);
	if (!error) return { deliveryError: null, deliveryErrorDetail: null };
	const { code, ...detail } = error;
	return { deliveryError: code, deliveryErrorDetail: detail };
}

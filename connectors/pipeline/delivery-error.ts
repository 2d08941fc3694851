import type { DeliveryError } from '../../src/lib/delivery-errors.ts';
import { SendError } from '../shared/errors.ts';
import type { ReplyWindow } from '../types.ts';

/**
 * The outbox worker's final failures as codes (src/lib/delivery-errors.ts), which the inbox words in
 * English or Thai. The SendError's own message (ids and the platform's reason, never tokens or message
 * text) is kept as the technical detail.
 */

/** Meta's "access token has expired or was revoked". */
const META_TOKEN_INVALID = '190';

export function windowFailure(window: Extract<ReplyWindow, { ok: false }>): DeliveryError {
	if (window.reason === 'no_customer_message') return { code: 'no_customer_message' };
	return window.closedAt ? { code: 'window_closed', closedAt: window.closedAt.toISOString() } : { code: 'window_closed' };
}

/**
 * A send that failed for good: after `attempts` tries for a retryable failure, at once for a permanent one.
 * `detail` is the technical sentence already built for the log and outbox.last_error.
 */
export function failureOf(error: unknown, detail: string, attempts: number): DeliveryError {
	const clipped = detail.slice(0, 1000);
	if (!(error instanceof SendError)) return { code: 'internal', attempts, detail: clipped };
	const platformCode = error.code ?? (error.status !== undefined ? String(error.status) : undefined);
	const withCode = (code: DeliveryError['code']): DeliveryError => ({ code, ...(platformCode ? { platformCode } : {}), detail: clipped });
	if (error.reason === 'retryable') return { ...withCode('platform_unreachable'), attempts };
	switch (error.code) {
		case 'window_closed':
		case 'no_customer_message':
			return withCode(error.code);
		case 'text_too_long':
			return withCode('too_long');
		case 'invalid_settings':
			return withCode('invalid_settings');
	}
	if (error.status === 401 || error.code === META_TOKEN_INVALID) return withCode('unauthorized');
	return withCode('platform_refused');
}

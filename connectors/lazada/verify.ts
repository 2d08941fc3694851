/** Lazada Push Mechanism authorization: https://open.lazada.com/apps/doc/doc?nodeId=29526&docId=120168 */
import { headerValue, hmacSha256, signatureMatches } from '../shared/hmac.ts';
import { bodyTimestamp } from '../shared/payload.ts';
import type { LazadaCredentials } from './credentials.ts';
import type { WebhookRequest } from '../types.ts';

/** `Authorization` = hex HMAC-SHA256(app secret, app key + raw body). */
export function pushSignature(credentials: LazadaCredentials, rawBody: Uint8Array): string {
	return hmacSha256(credentials.appSecret, [credentials.appKey, rawBody], 'hex');
}

export function verify(request: WebhookRequest, credentials: LazadaCredentials): boolean {
	return signatureMatches(headerValue(request.headers, 'authorization'), pushSignature(credentials, request.rawBody), 'hex');
}

/** When the platform signed this delivery: the push body `{ seller_id, message_type, data, timestamp, site }` is what the `Authorization` HMAC covers. */
export function signedAt(rawBody: Uint8Array): Date | null {
	return bodyTimestamp(rawBody);
}

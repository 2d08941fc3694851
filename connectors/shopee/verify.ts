/**
 * Shopee push verification: https://open.shopee.com/developer-guide/18 ("Push Mechanism", Authorization header).
 * UNCERTAIN: some apps are given a separate push partner key; `pushPartnerKey` selects it, else the partner key.
 */
import { headerValue, hmacSha256, signatureMatches } from '../shared/hmac.ts';
import { bodyTimestamp } from '../shared/payload.ts';
import type { ShopeeCredentials } from './credentials.ts';
import type { WebhookRequest } from '../types.ts';

/** `Authorization` = hex HMAC-SHA256(push key, callback URL + "|" + raw body). */
export function pushSignature(credentials: ShopeeCredentials, callbackUrl: string, rawBody: Uint8Array): string {
	return hmacSha256(credentials.pushPartnerKey ?? credentials.partnerKey, [`${callbackUrl}|`, rawBody], 'hex');
}

export function verify(request: WebhookRequest, credentials: ShopeeCredentials): boolean {
	const expected = pushSignature(credentials, request.url, request.rawBody);
	return signatureMatches(headerValue(request.headers, 'authorization'), expected, 'hex');
}

/** When the platform signed this delivery: the push body `{ code, shop_id, timestamp, data }` (https://open.shopee.com/push-mechanism/10) is what the `Authorization` HMAC covers. */
export function signedAt(rawBody: Uint8Array): Date | null {
	return bodyTimestamp(rawBody);
}

/**
 * TikTok Shop webhook signature: https://partner.tiktokshop.com/docv2/page/tts-webhooks-overview
 * UNCERTAIN: the docs only say the `Authorization` header carries a signature "generated as in Sign your API
 * request". Integrators compute hex HMAC-SHA256(app secret, app key + raw body); that is `webhookSignatureBase`,
 * the one line to change if TikTok documents otherwise.
 */
import { headerValue, hmacSha256, signatureMatches } from '../shared/hmac.ts';
import { bodyTimestamp } from '../shared/payload.ts';
import type { TikTokCredentials } from './credentials.ts';
import type { WebhookRequest } from '../types.ts';

export function webhookSignatureBase(credentials: TikTokCredentials, rawBody: Uint8Array): Array<string | Uint8Array> {
	return [credentials.appKey, rawBody];
}

export function webhookSignature(credentials: TikTokCredentials, rawBody: Uint8Array): string {
	return hmacSha256(credentials.appSecret, webhookSignatureBase(credentials, rawBody), 'hex');
}

export function verify(request: WebhookRequest, credentials: TikTokCredentials): boolean {
	return signatureMatches(headerValue(request.headers, 'authorization'), webhookSignature(credentials, request.rawBody), 'hex');
}

/** When the platform signed this delivery: the webhook body `{ type, tts_notification_id, shop_id, timestamp, data }` is what the `Authorization` HMAC covers. */
export function signedAt(rawBody: Uint8Array): Date | null {
	return bodyTimestamp(rawBody);
}

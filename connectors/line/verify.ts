/** LINE webhook signature: https://developers.line.biz/en/reference/messaging-api/#signature-validation */
import { headerValue, hmacSha256, signatureMatches } from '../shared/hmac.ts';
import type { LineCredentials } from './credentials.ts';
import type { WebhookRequest } from '../types.ts';

export const LINE_SIGNATURE_HEADER = 'x-line-signature';

/** `x-line-signature` = Base64 HMAC-SHA256(channel secret, raw body). */
export function verify(request: WebhookRequest, credentials: LineCredentials): boolean {
	const expected = hmacSha256(credentials.channelSecret, [request.rawBody], 'base64');
	return signatureMatches(headerValue(request.headers, LINE_SIGNATURE_HEADER), expected, 'base64');
}

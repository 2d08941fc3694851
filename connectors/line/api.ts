/**
 * LINE Messaging API calls.
 * - Reply: https://developers.line.biz/en/reference/messaging-api/#send-reply-message
 * - Push:  https://developers.line.biz/en/reference/messaging-api/#send-push-message
 * - Retry key (idempotent push): https://developers.line.biz/en/docs/messaging-api/retrying-api-request/
 * - Errors: https://developers.line.biz/en/reference/messaging-api/#error-responses
 * - Revoke token: https://developers.line.biz/en/reference/messaging-api/#revoke-longlived-or-shortlived-channel-access-token
 */
import { SendError } from '../shared/errors.ts';
import { apiUrl, callApi, platformFailure, type ApiResponse } from '../shared/http.ts';
import { assertSendableText } from '../shared/policy.ts';
import { capabilities } from './capabilities.ts';
import type { LineCredentials } from './credentials.ts';
import type { CallContext, OutgoingReply, SendResult } from '../types.ts';

export const LINE_API_BASE = 'https://api.line.me';

/**
 * UNCERTAIN: LINE says a reply token "must be used within a certain period" (about a minute in practice).
 * We use it only while clearly fresh and push otherwise; this is the one number to change.
 */
export const REPLY_TOKEN_TTL_MS = 50_000;

/** LINE signals overload only with HTTP 429 and 5xx; no body code is retryable. */
const RETRYABLE_LINE_CODES = new Set<string>();

export async function send(reply: OutgoingReply, ctx: CallContext<LineCredentials>): Promise<SendResult> {
	assertSendableText(capabilities, reply.text);
	const messages = [{ type: 'text', text: reply.text }];
	const now = ctx.now?.() ?? new Date();
	const token = reply.replyToken;
	if (token && now.getTime() - token.receivedAt.getTime() < REPLY_TOKEN_TTL_MS) {
		const response = await post(ctx, '/v2/bot/message/reply', { replyToken: token.token, messages });
		const sent = sentMessageId(response);
		if (response.status === 200 && sent) return { platformMessageId: sent };
		// A used or expired token is answered with 400 "Invalid reply token": fall back to push, anything else is final.
		if (!isInvalidReplyToken(response)) throw lineFailure(response);
	}
	const response = await post(ctx, '/v2/bot/message/push', { to: reply.threadId, messages }, { 'x-line-retry-key': reply.idempotencyKey });
	const sent = sentMessageId(response);
	if (response.status === 200 && sent) return { platformMessageId: sent };
	// 409: this retry key was already accepted, so the message went out on an earlier attempt.
	// UNCERTAIN: whether the 409 body always repeats `sentMessages`; the accepted request id is the fallback.
	if (response.status === 409) {
		const accepted = response.headers.get('x-line-accepted-request-id');
		if (sent || accepted) return { platformMessageId: sent ?? `request:${accepted}` };
	}
	throw lineFailure(response);
}

/** Revokes the channel access token so it stops working at once on disconnect. */
export async function revoke(ctx: CallContext<LineCredentials>): Promise<void> {
	const response = await callApi(ctx, {
		method: 'POST',
		url: apiUrl(ctx.config.apiBaseUrl ?? LINE_API_BASE, '/v2/oauth/revoke'),
		headers: { 'content-type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({ access_token: ctx.credentials.channelAccessToken }).toString()
	});
	if (response.status !== 200) throw lineFailure(response);
}

function post(ctx: CallContext<LineCredentials>, path: string, body: unknown, headers: Record<string, string> = {}): Promise<ApiResponse> {
	return callApi(ctx, {
		method: 'POST',
		url: apiUrl(ctx.config.apiBaseUrl ?? LINE_API_BASE, path),
		headers: {
			authorization: `Bearer ${ctx.credentials.channelAccessToken}`,
			'content-type': 'application/json',
			...headers
		},
		body: JSON.stringify(body)
	});
}

function sentMessageId(response: ApiResponse): string | undefined {
	const sent = (response.json as { sentMessages?: Array<{ id?: unknown }> } | undefined)?.sentMessages;
	const id = sent?.[0]?.id;
	return typeof id === 'string' ? id : undefined;
}

function isInvalidReplyToken(response: ApiResponse): boolean {
	const message = (response.json as { message?: unknown } | undefined)?.message;
	return response.status === 400 && typeof message === 'string' && /invalid reply token/i.test(message);
}

function lineFailure(response: ApiResponse): SendError {
	const body = response.json as { message?: string; details?: Array<{ message?: string; property?: string }> } | undefined;
	const detail = body?.details?.map((d) => [d.property, d.message].filter(Boolean).join(': ')).join('; ');
	const message = [body?.message, detail].filter(Boolean).join(' — ') || undefined;
	return platformFailure({ status: response.status, code: undefined, message, retryableCodes: RETRYABLE_LINE_CODES, platform: 'LINE' });
}

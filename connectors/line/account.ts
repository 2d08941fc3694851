/**
 * LINE Official Account identity and customer profiles. LINE has no authorization page for a Messaging API
 * channel: the seller pastes the channel secret and a long-lived channel access token, which does not expire.
 * - Bot info: https://developers.line.biz/en/reference/messaging-api/#get-bot-info (GET /v2/bot/info)
 * - Profile:  https://developers.line.biz/en/reference/messaging-api/#get-profile (GET /v2/bot/profile/{userId})
 * - Webhook test: https://developers.line.biz/en/reference/messaging-api/#test-webhook-endpoint (POST /v2/bot/channel/webhook/test)
 */
import { SendError } from '../shared/errors.ts';
import { apiUrl, callApi, platformFailure, type ApiResponse } from '../shared/http.ts';
import { LINE_API_BASE } from './api.ts';
import type { LineCredentials } from './credentials.ts';
import type { AccountIdentity, CallContext, CustomerProfile, WebhookTestResult } from '../types.ts';

function get(ctx: CallContext<LineCredentials>, path: string): Promise<ApiResponse> {
	return callApi(ctx, {
		method: 'GET',
		url: apiUrl(ctx.config.apiBaseUrl ?? LINE_API_BASE, path),
		headers: { authorization: `Bearer ${ctx.credentials.channelAccessToken}` }
	});
}

function failure(response: ApiResponse): SendError {
	const message = (response.json as { message?: string } | undefined)?.message;
	return platformFailure({ status: response.status, code: undefined, message, retryableCodes: new Set(), platform: 'LINE' });
}

export async function identify(ctx: CallContext<LineCredentials>): Promise<AccountIdentity> {
	const response = await get(ctx, '/v2/bot/info');
	const body = response.json as { userId?: unknown; displayName?: unknown; basicId?: unknown; pictureUrl?: unknown } | undefined;
	if (response.status !== 200 || typeof body?.userId !== 'string') throw failure(response);
	const name = typeof body.displayName === 'string' ? body.displayName : typeof body.basicId === 'string' ? body.basicId : body.userId;
	return { externalId: body.userId, name, ...(typeof body.pictureUrl === 'string' ? { pictureUrl: body.pictureUrl } : {}) };
}

/** Works for users who added the OA as a friend; others answer 404, which is no profile, not an error. */
export async function profile(customerId: string, ctx: CallContext<LineCredentials>): Promise<CustomerProfile> {
	const response = await get(ctx, `/v2/bot/profile/${encodeURIComponent(customerId)}`);
	if (response.status === 404) return {};
	const body = response.json as { displayName?: unknown; pictureUrl?: unknown } | undefined;
	if (response.status !== 200) throw failure(response);
	return {
		...(typeof body?.displayName === 'string' ? { name: body.displayName } : {}),
		...(typeof body?.pictureUrl === 'string' ? { pictureUrl: body.pictureUrl } : {})
	};
}

/**
 * LINE sends a signed test webhook (no events) to the endpoint named here, our connection's public
 * URL, and answers `{ success, timestamp, statusCode, reason, detail }` with what that endpoint said.
 */
export async function testWebhook(ctx: CallContext<LineCredentials>): Promise<WebhookTestResult> {
	const response = await callApi(ctx, {
		method: 'POST',
		url: apiUrl(ctx.config.apiBaseUrl ?? LINE_API_BASE, '/v2/bot/channel/webhook/test'),
		headers: { authorization: `Bearer ${ctx.credentials.channelAccessToken}`, 'content-type': 'application/json' },
		body: JSON.stringify({ endpoint: ctx.config.webhookUrl })
	});
	const body = response.json as { success?: unknown; statusCode?: unknown; reason?: unknown; detail?: unknown } | undefined;
	if (response.status !== 200 || typeof body?.success !== 'boolean') throw failure(response);
	return {
		success: body.success,
		statusCode: typeof body.statusCode === 'number' && body.statusCode > 0 ? body.statusCode : null,
		reason: typeof body.reason === 'string' ? body.reason.slice(0, 100) : 'UNKNOWN',
		detail: typeof body.detail === 'string' ? body.detail.slice(0, 500) : ''
	};
}

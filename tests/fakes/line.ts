/**
 * Fake LINE Messaging API (reply, push with X-Line-Retry-Key, token revoke, webhook endpoint test) and webhook builder.
 * Error bodies follow https://developers.line.biz/en/reference/messaging-api/#error-responses.
 */
import { createHmac, randomUUID } from 'node:crypto';
import type { LineCredentials } from '../../connectors/line/credentials.ts';
import { fakeId, type FakeReply, type PlatformRules, type RecordedRequest } from './server.ts';
import { UnsupportedFakeEvent, type PlatformFake, type RulesContext, type WebhookOptions } from './types.ts';

const BOT_USER_ID = 'U0000000000000000000000000000b0t';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function lineError(status: number, message: string, details?: Array<{ message: string; property: string }>): FakeReply {
	return { status, body: { message, ...(details ? { details } : {}) }, headers: { 'x-line-request-id': randomUUID() } };
}

function rules({ credentials, config }: RulesContext<LineCredentials>): PlatformRules {
	const usedReplyTokens = new Set<string>();
	const acceptedRetryKeys = new Map<string, { requestId: string; sentMessages: unknown[] }>();

	function validateMessages(body: { messages?: Array<{ type?: string; text?: string }> }): FakeReply | null {
		const messages = body.messages ?? [];
		if (messages.length < 1 || messages.length > 5) return lineError(400, 'The request body has 1 error(s)', [{ message: 'Size must be between 1 and 5', property: 'messages' }]);
		const index = messages.findIndex((m) => m.type === 'text' && (!m.text || [...m.text].length > 5000));
		if (index >= 0) return lineError(400, 'The request body has 1 error(s)', [{ message: 'Length must be between 1 and 5000', property: `messages[${index}].text` }]);
		return null;
	}

	function sent(count: number) {
		return Array.from({ length: count }, () => ({ id: String(Date.now()) + fakeId(), quoteToken: fakeId('q') }));
	}

	/** Like LINE: a signed webhook with no events, then what the endpoint answered (https://developers.line.biz/en/reference/messaging-api/#test-webhook-endpoint). */
	async function testWebhook(endpoint: string): Promise<FakeReply> {
		const body = Buffer.from(JSON.stringify({ destination: config.externalId, events: [] }));
		const signature = createHmac('sha256', credentials.channelSecret).update(body).digest('base64');
		const timestamp = new Date().toISOString();
		try {
			const response = await fetch(endpoint, {
				method: 'POST',
				headers: { 'content-type': 'application/json; charset=utf-8', 'x-line-signature': signature, 'user-agent': 'LineBotWebhook/2.0' },
				body,
				signal: AbortSignal.timeout(5_000)
			});
			await response.arrayBuffer();
			const ok = response.status >= 200 && response.status < 300;
			return {
				status: 200,
				body: ok
					? { success: true, timestamp, statusCode: response.status, reason: 'OK', detail: String(response.status) }
					: { success: false, timestamp, statusCode: response.status, reason: 'ERROR_STATUS_CODE', detail: `The webhook returned an HTTP status code other than 200.(${response.status} ${response.statusText})` }
			};
		} catch {
			return { status: 200, body: { success: false, timestamp, statusCode: 0, reason: 'COULD_NOT_CONNECT', detail: 'Could not connect to the webhook URL.' } };
		}
	}

	return {
		authenticate(request: RecordedRequest) {
			if (request.path === '/v2/oauth/revoke') return null;
			if (request.headers.authorization !== `Bearer ${credentials.channelAccessToken}`) {
				return lineError(401, 'Authentication failed. Confirm that the access token in the authorization header is valid.');
			}
			return null;
		},
		route(request) {
			if (request.method === 'GET' && request.path === '/v2/bot/info') {
				return { status: 200, body: { userId: config.externalId, basicId: '@123chatmai', displayName: 'ChatMai Shop', pictureUrl: 'https://profile.line-scdn.net/bot-picture', chatMode: 'chat', markAsReadMode: 'manual' } };
			}
			const profile = /^\/v2\/bot\/profile\/([^/]+)$/.exec(request.path);
			if (request.method === 'GET' && profile) {
				const userId = decodeURIComponent(profile[1]);
				if (!/^U[0-9a-f]{32}$/.test(userId)) return lineError(404, 'Not found');
				return { status: 200, body: { displayName: `Khun ${userId.slice(-4)}`, userId, language: 'th', pictureUrl: `https://profile.line-scdn.net/${userId}`, statusMessage: 'สวัสดี' } };
			}
			const body = (request.json ?? {}) as { to?: string; replyToken?: string; messages?: Array<{ type?: string; text?: string }> };
			if (request.method === 'POST' && request.path === '/v2/bot/message/reply') {
				if (!body.replyToken || usedReplyTokens.has(body.replyToken)) return lineError(400, 'Invalid reply token');
				const invalid = validateMessages(body);
				if (invalid) return invalid;
				usedReplyTokens.add(body.replyToken);
				return { status: 200, body: { sentMessages: sent(body.messages!.length) }, headers: { 'x-line-request-id': randomUUID() } };
			}
			if (request.method === 'POST' && request.path === '/v2/bot/message/push') {
				const retryKey = request.headers['x-line-retry-key'];
				if (retryKey !== undefined && !UUID.test(retryKey)) return lineError(400, "The value for the 'X-Line-Retry-Key' header is invalid");
				const accepted = retryKey ? acceptedRetryKeys.get(retryKey) : undefined;
				if (accepted) {
					return {
						status: 409,
						body: { message: 'The retry key is already accepted', sentMessages: accepted.sentMessages },
						headers: { 'x-line-request-id': randomUUID(), 'x-line-accepted-request-id': accepted.requestId }
					};
				}
				if (!body.to) return lineError(400, 'The request body has 1 error(s)', [{ message: 'Must be specified', property: 'to' }]);
				const invalid = validateMessages(body);
				if (invalid) return invalid;
				const requestId = randomUUID();
				const sentMessages = sent(body.messages!.length);
				if (retryKey) acceptedRetryKeys.set(retryKey, { requestId, sentMessages });
				return { status: 200, body: { sentMessages }, headers: { 'x-line-request-id': requestId } };
			}
			if (request.method === 'POST' && request.path === '/v2/bot/channel/webhook/test') {
				const endpoint = (request.json as { endpoint?: unknown } | undefined)?.endpoint;
				if (typeof endpoint !== 'string' || !/^https?:\/\//.test(endpoint)) {
					return lineError(400, 'The request body has 1 error(s)', [{ message: 'Must be a valid HTTPS URL', property: 'endpoint' }]);
				}
				return testWebhook(endpoint);
			}
			if (request.method === 'POST' && request.path === '/v2/oauth/revoke') {
				return request.form.access_token === credentials.channelAccessToken ? { status: 200 } : { status: 400, body: { error: 'invalid_request', error_description: 'invalid token' } };
			}
			return lineError(404, 'Not found');
		},
		failure(status) {
			if (status === 429) return lineError(429, 'The API rate limit has been exceeded. Try again later.');
			if (status >= 500) return lineError(status, 'An error occurred in the API server.');
			return lineError(status, 'The request body has 1 error(s)', [{ message: 'The user has blocked the account', property: 'to' }]);
		}
	};
}

export const lineFake: PlatformFake<LineCredentials> = {
	platform: 'line',
	credentials: { channelSecret: 'line-channel-secret-0123456789ab', channelAccessToken: 'line-long-lived-token+/=' },
	otherCredentials: { channelSecret: 'another-channel-secret-ffffffff', channelAccessToken: 'another-token' },
	config: (apiBaseUrl, accountId = BOT_USER_ID) => ({ externalId: accountId, webhookUrl: 'https://chatmai.example/webhooks/line/conn-1', apiBaseUrl, settings: {} }),
	rules,
	sign: (rawBody: Uint8Array, options: WebhookOptions<LineCredentials>) => ({
		'content-type': 'application/json; charset=utf-8',
		'x-line-signature': createHmac('sha256', options.credentials.channelSecret).update(rawBody).digest('base64')
	}),
	webhook(event, options) {
		if (event.kind === 'order_update') throw new UnsupportedFakeEvent('line', 'order updates');
		if (event.kind === 'message' && event.fromSeller) throw new UnsupportedFakeEvent('line', "the bot's own messages");
		const userId = (event.kind === 'message' && event.customerId) || 'U4af4980629b1b3b7e2b2b9b1d1e5b6c7';
		const base = {
			webhookEventId: (event.kind === 'message' && event.eventId) || `01H${fakeId().toUpperCase()}`,
			deliveryContext: { isRedelivery: options.redelivery === true },
			timestamp: (event.kind === 'message' && event.sentAt?.getTime()) || Date.now(),
			source: { type: 'user', userId },
			mode: 'active'
		};
		const lineEvent =
			event.kind === 'unknown'
				? { type: 'follow', replyToken: fakeId('r'), follow: { isUnblocked: false }, ...base }
				: {
						type: 'message',
						replyToken: fakeId('r'),
						message: event.imageUrl
							? { type: 'image', id: event.messageId ?? fakeId('4'), quoteToken: fakeId('q'), contentProvider: { type: 'external', originalContentUrl: event.imageUrl, previewImageUrl: event.imageUrl } }
							: { type: 'text', id: event.messageId ?? fakeId('4'), quoteToken: fakeId('q'), text: event.text ?? 'Hello' },
						...base
					};
		const json = { destination: options.accountId ?? BOT_USER_ID, events: [lineEvent] };
		const body = Buffer.from(JSON.stringify(json));
		return { headers: lineFake.sign(body, options), body, json };
	}
};

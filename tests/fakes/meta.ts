/**
 * Fake Graph API (Send API, subscribed_apps) and Messenger/Instagram webhook builder.
 * Error bodies follow https://developers.facebook.com/docs/graph-api/guides/error-handling.
 */
import { createHmac } from 'node:crypto';
import type { MetaCredentials } from '../../connectors/shared/meta.ts';
import type { Platform } from '../../connectors/types.ts';
import { consentPage } from './oauth.ts';
import { fakeId, type FakeReply, type PlatformRules, type RecordedRequest } from './server.ts';
import { UnsupportedFakeEvent, type FakeEvent, type PlatformFake, type RulesContext, type WebhookOptions } from './types.ts';

const PAGE_ID = '104857600123456';
const IG_ACCOUNT_ID = '17841400000000001';
const MAX_TEXT = { facebook: 2000, instagram: 1000 } as const;

function graphError(status: number, code: number, message: string, extra: Record<string, unknown> = {}): FakeReply {
	return { status, body: { error: { message, type: 'OAuthException', code, ...extra, fbtrace_id: fakeId('A') } } };
}

const APP_ID = '1517776481860111';
const PAGE_NAME = 'ChatMai Fashion';
/** A second Page the same user manages (no Instagram account), so sellers have Pages to pick from. */
const OUTLET_PAGE = { id: '104857600654321', name: 'ChatMai Outlet' };
const IG_USERNAME = 'chatmai.fashion';

function rules(platform: 'facebook' | 'instagram', { credentials, config, tokens }: RulesContext<MetaCredentials>): PlatformRules {
	// The fake's own account is the one the test named (StartOptions.accountId), else the constants.
	const pageId = platform === 'facebook' ? config.externalId : PAGE_ID;
	const igId = platform === 'instagram' ? config.externalId : IG_ACCOUNT_ID;
	// The user token Facebook Login grants, and the Page token it leads to.
	const userTokens = new Set<string>();
	/** Page token → the Page it speaks for. */
	const pageTokens = new Map<string, string>();
	const proofOk = (request: RecordedRequest) =>
		request.query.appsecret_proof === undefined ||
		request.query.appsecret_proof === createHmac('sha256', credentials.appSecret).update(request.query.access_token ?? '').digest('hex');
	return {
		public(request) {
			if (/^\/v\d+\.\d+\/dialog\/oauth$/.test(request.path)) {
				const q = request.query;
				if (q.client_id !== APP_ID || !q.redirect_uri) return graphError(400, 191, 'Invalid redirect_uri or app id');
				const back = new URL(q.redirect_uri);
				back.searchParams.set('code', tokens.code());
				if (q.state) back.searchParams.set('state', q.state);
				return consentPage('Facebook', back);
			}
			if (/^\/v\d+\.\d+\/oauth\/access_token$/.test(request.path)) {
				const q = request.query;
				if (q.client_id !== APP_ID || q.client_secret !== credentials.appSecret) return graphError(400, 101, 'Error validating client secret.');
				if (q.grant_type === 'fb_exchange_token') {
					if (!userTokens.has(q.fb_exchange_token ?? '')) return graphError(400, 190, 'Invalid OAuth access token - Cannot parse access token');
					const long = 'EAAGlongUser' + fakeId();
					userTokens.add(long);
					return { status: 200, body: { access_token: long, token_type: 'bearer', expires_in: 5_184_000 } };
				}
				if (!tokens.takeCode(q.code)) return graphError(400, 100, 'This authorization code has been used.', { error_subcode: 36009 });
				const short = 'EAAGshortUser' + fakeId();
				userTokens.add(short);
				return { status: 200, body: { access_token: short, token_type: 'bearer', expires_in: 5_183_944 } };
			}
			if (/^\/v\d+\.\d+\/me\/accounts$/.test(request.path)) {
				if (!userTokens.has(request.query.access_token ?? '') || !proofOk(request)) return graphError(400, 190, 'Invalid OAuth access token - Cannot parse access token');
				const pageToken = 'EAAGpage' + fakeId();
				const outletToken = 'EAAGpage' + fakeId();
				pageTokens.set(pageToken, pageId);
				pageTokens.set(outletToken, OUTLET_PAGE.id);
				return {
					status: 200,
					body: {
						data: [
							{ id: pageId, name: PAGE_NAME, access_token: pageToken, category: 'Clothing store', tasks: ['MESSAGING'], instagram_business_account: { id: igId, username: IG_USERNAME } },
							{ id: OUTLET_PAGE.id, name: OUTLET_PAGE.name, access_token: outletToken, category: 'Outlet store', tasks: ['MESSAGING'] }
						],
						paging: { cursors: { before: 'b', after: 'a' } }
					}
				};
			}
			return null;
		},
		authenticate(request: RecordedRequest) {
			const token = request.query.access_token;
			if (token !== credentials.pageAccessToken && !pageTokens.has(token ?? '')) {
				return graphError(400, 190, 'Invalid OAuth access token - Cannot parse access token');
			}
			if (!proofOk(request)) return graphError(400, 100, 'Invalid appsecret_proof provided in the API argument', { error_subcode: 33 });
			return null;
		},
		route(request) {
			if (request.method === 'POST' && /^\/v\d+\.\d+\/[^/]+\/messages$/.test(request.path)) return sendMessage(platform, request);
			const page = pageTokens.get(request.query.access_token ?? '') ?? pageId;
			const subscribing = /^\/v\d+\.\d+\/([^/]+)\/subscribed_apps$/.exec(request.path);
			if (request.method === 'POST' && subscribing) {
				const node = subscribing[1] === 'me' ? page : subscribing[1];
				return node === page ? { status: 200, body: { success: true } } : graphError(403, 200, '(#200) The Page access token does not belong to this Page');
			}
			const node = /^\/v\d+\.\d+\/([^/]+)$/.exec(request.path)?.[1];
			if (request.method === 'GET' && node === 'me') {
				return page === pageId
					? { status: 200, body: { id: pageId, name: PAGE_NAME, instagram_business_account: { id: igId, username: IG_USERNAME } } }
					: { status: 200, body: { id: OUTLET_PAGE.id, name: OUTLET_PAGE.name } };
			}
			if (request.method === 'GET' && node && /^\d+$/.test(node)) {
				// A customer's profile (PSID or IGSID).
				return platform === 'facebook'
					? { status: 200, body: { first_name: 'Somchai', last_name: `Jaidee ${node.slice(-4)}`, profile_pic: `https://platform-lookaside.fbsbx.com/${node}`, id: node } }
					: { status: 200, body: { name: `Ploy ${node.slice(-4)}`, username: `ploy.${node.slice(-4)}`, profile_pic: `https://scontent.cdninstagram.com/${node}`, id: node } };
			}
			if (request.method === 'DELETE' && /^\/v\d+\.\d+\/[^/]+\/subscribed_apps$/.test(request.path)) return { status: 200, body: { success: true } };
			return graphError(400, 803, 'Unknown path components: ' + request.path);
		},
		failure(status) {
			if (status === 429) return graphError(429, 4, '(#4) Application request limit reached', { is_transient: true });
			if (status >= 500) return graphError(status, 2, 'An unexpected error has occurred. Please retry your request later.', { is_transient: true });
			return graphError(status, 10, '(#10) This message is sent outside of allowed window.', { error_subcode: 2018278 });
		}
	};
}

function sendMessage(platform: 'facebook' | 'instagram', request: RecordedRequest): FakeReply {
	const body = request.json as {
		recipient?: { id?: string };
		messaging_type?: string;
		tag?: string;
		message?: { text?: string };
	};
	if (!body?.recipient?.id) return graphError(400, 100, '(#100) The parameter recipient is required');
	if (!['RESPONSE', 'UPDATE', 'MESSAGE_TAG'].includes(body.messaging_type ?? '')) return graphError(400, 100, '(#100) Param messaging_type is invalid');
	if (body.messaging_type === 'MESSAGE_TAG' && !body.tag) return graphError(400, 100, '(#100) Tag is required for MESSAGE_TAG messaging type');
	const text = body.message?.text ?? '';
	if (!text) return graphError(400, 100, '(#100) Must send either message or state');
	if ([...text].length > MAX_TEXT[platform]) {
		return graphError(400, 100, `(#100) Length of param message[text] must be less than or equal to ${MAX_TEXT[platform]}`);
	}
	return { status: 200, body: { recipient_id: body.recipient.id, message_id: fakeId('m_') } };
}

function messagingItem(platform: Platform, event: Extract<FakeEvent, { kind: 'message' }>, accountId: string) {
	const customerId = event.customerId ?? (platform === 'instagram' ? '6543210987654321' : '7012345678901234');
	const message: Record<string, unknown> = { mid: event.messageId ?? fakeId('m_') };
	if (event.imageUrl) message.attachments = [{ type: 'image', payload: { url: event.imageUrl } }];
	else message.text = event.text ?? 'Hello';
	if (event.fromSeller) Object.assign(message, { is_echo: true, app_id: 1517776481860111 });
	const [sender, recipient] = event.fromSeller ? [accountId, customerId] : [customerId, accountId];
	return { sender: { id: sender }, recipient: { id: recipient }, timestamp: (event.sentAt ?? new Date()).getTime(), message };
}

function metaFake(platform: 'facebook' | 'instagram'): PlatformFake<MetaCredentials> {
	const object = platform === 'facebook' ? 'page' : 'instagram';
	const accountId = platform === 'facebook' ? PAGE_ID : IG_ACCOUNT_ID;
	const sign = (rawBody: Uint8Array, options: WebhookOptions<MetaCredentials>) => ({
		'content-type': 'application/json',
		'x-hub-signature': 'sha1=' + createHmac('sha1', options.credentials.appSecret).update(rawBody).digest('hex'),
		'x-hub-signature-256': 'sha256=' + createHmac('sha256', options.credentials.appSecret).update(rawBody).digest('hex')
	});
	return {
		platform,
		credentials: { appSecret: 'meta-app-secret-1234', pageAccessToken: 'EAAGmetaPageToken1234' },
		otherCredentials: { appSecret: 'some-other-app-secret', pageAccessToken: 'EAAGotherPageToken' },
		app: (credentials) => ({ id: APP_ID, secret: credentials.appSecret }),
		config: (apiBaseUrl, externalId = accountId) => ({
			externalId,
			webhookUrl: `https://chatmai.example/webhooks/${platform}/conn-1`,
			apiBaseUrl,
			verifyToken: 'verify-me-please',
			settings: { graphApiVersion: 'v21.0', ...(platform === 'instagram' ? { pageId: PAGE_ID } : {}) }
		}),
		rules: (context) => rules(platform, context),
		sign,
		webhook(event, options) {
			if (event.kind === 'order_update') throw new UnsupportedFakeEvent(platform, 'order updates');
			const account = options.accountId ?? accountId;
			const time = Date.now();
			const messaging =
				event.kind === 'unknown'
					? [{ sender: { id: '7012345678901234' }, recipient: { id: account }, timestamp: time, delivery: { mids: ['m_1'], watermark: time } }]
					: [messagingItem(platform, event, account)];
			const json = { object, entry: [{ id: account, time, messaging }] };
			const body = Buffer.from(JSON.stringify(json));
			return { headers: sign(body, options), body, json };
		}
	};
}

export const facebookFake = metaFake('facebook');
export const instagramFake = metaFake('instagram');

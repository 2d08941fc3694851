/**
 * Fake TikTok Shop Open API 202309 (customer service send message, get order detail) and webhook builder.
 * Envelope `{ code, message, data, request_id }`; codes from https://partner.tiktokshop.com/docv2/page/common-errors.
 */
import { createHmac } from 'node:crypto';
import type { TikTokCredentials } from '../../connectors/tiktok/credentials.ts';
import { consentPage } from './oauth.ts';
import { fakeId, type FakeReply, type PlatformRules, type RecordedRequest } from './server.ts';
import { orderTotal, seconds, type FakeOrder, type PlatformFake, type RulesContext, type WebhookOptions } from './types.ts';

const SHOP_ID = '7494049642642441621';
const SHOP_CIPHER = 'ROW_xkMbgAAAeVAQra0eZWebFQq5aIK';
const SHOP_IM_ID = '7494560109732334261';
const SERVICE_ID = '7221998893434570565';

function tiktokError(status: number, code: number, message: string): FakeReply {
	return { status, body: { code, message, data: null, request_id: fakeId('2024') } };
}

function ok(data: unknown): FakeReply {
	return { status: 200, body: { code: 0, message: 'Success', data, request_id: fakeId('2024') } };
}

/** TikTok's documented algorithm, written independently of the connector. */
function expectedSign(secret: string, request: RecordedRequest): string {
	const keys = Object.keys(request.query).filter((k) => k !== 'sign' && k !== 'access_token').sort();
	const input = request.path + keys.map((k) => k + request.query[k]).join('') + request.body;
	return createHmac('sha256', secret).update(secret + input + secret).digest('hex');
}

function rules({ credentials, config, orders, tokens }: RulesContext<TikTokCredentials>): PlatformRules {
	const grant = (g: { accessToken: string; refreshToken: string; expiresIn: number; refreshExpiresIn: number }) => {
		const now = Math.floor(Date.now() / 1000);
		return {
			status: 200,
			body: {
				code: 0,
				message: 'success',
				request_id: fakeId(),
				data: {
					access_token: g.accessToken,
					access_token_expire_in: now + g.expiresIn,
					refresh_token: g.refreshToken,
					refresh_token_expire_in: now + g.refreshExpiresIn,
					open_id: 'open-id-7493',
					seller_name: 'ChatMai TikTok Shop',
					seller_base_region: 'TH',
					user_type: 0,
					granted_scopes: ['seller.customer_service', 'seller.order.info']
				}
			}
		};
	};
	const appOk = (q: Record<string, string>) => q.app_key === credentials.appKey && q.app_secret === credentials.appSecret;
	return {
		public(request) {
			if (request.path === '/open/authorize') {
				if (request.query.service_id !== SERVICE_ID || !tokens.redirectUri) return tiktokError(400, 36004004, 'Invalid service_id.');
				const back = new URL(tokens.redirectUri);
				back.searchParams.set('code', tokens.code());
				if (request.query.state) back.searchParams.set('state', request.query.state);
				return consentPage('TikTok Shop', back);
			}
			if (request.path === '/api/v2/token/get') {
				if (!appOk(request.query)) return tiktokError(200, 36004004, 'Invalid app_key or app_secret.');
				if (request.query.grant_type !== 'authorized_code' || !tokens.takeCode(request.query.auth_code)) return tiktokError(200, 36004014, 'Invalid auth_code.');
				return grant(tokens.issue());
			}
			if (request.path === '/api/v2/token/refresh') {
				if (!appOk(request.query)) return tiktokError(200, 36004004, 'Invalid app_key or app_secret.');
				const renewed = request.query.grant_type === 'refresh_token' ? tokens.refresh(request.query.refresh_token) : null;
				return renewed ? grant(renewed) : tiktokError(200, 36004015, 'The refresh_token is invalid or expired.');
			}
			return null;
		},
		authenticate(request) {
			const { app_key, timestamp, sign, shop_cipher } = request.query;
			if (!sign) return tiktokError(401, 36009004, 'Missing credentials. The request does not include a required signature in the query.');
			if (app_key !== credentials.appKey) return tiktokError(401, 36009004, 'Invalid credentials. Invalid `app_key` query parameter.');
			const age = Date.now() / 1000 - Number(timestamp);
			if (!(age > -30 && age < 300)) return tiktokError(401, 36009004, 'Invalid timestamp. The value of the `timestamp` query parameter must not be earlier than 5 minutes before the current time.');
			if (sign !== expectedSign(credentials.appSecret, request)) return tiktokError(401, 106001, 'Invalid credentials. The `sign` query parameter is invalid.');
			const token = request.headers['x-tts-access-token'];
			if (token !== credentials.accessToken && !tokens.accepts(token)) return tiktokError(401, 36009004, 'Invalid credentials. The `x-tts-access-token` header is invalid.');
			if (request.path === '/authorization/202309/shops') return null;
			if (shop_cipher !== SHOP_CIPHER) return tiktokError(400, 106013, 'Missing identifier. The `shop_cipher` query parameter is required to identify the target shop.');
			return null;
		},
		route(request) {
			if (request.method === 'GET' && request.path === '/authorization/202309/shops') {
				return { status: 200, body: { code: 0, message: 'Success', request_id: fakeId(), data: { shops: [{ id: config.externalId, name: 'ChatMai TikTok Shop', region: 'TH', seller_type: 'LOCAL', cipher: SHOP_CIPHER, code: 'THLCB7WLJ3' }] } } };
			}
			const send = /^\/customer_service\/202309\/conversations\/([^/]+)\/messages$/.exec(request.path);
			if (request.method === 'POST' && send) {
				const body = request.json as { type?: string; content?: unknown };
				if (body?.type !== 'TEXT' || typeof body.content !== 'string') return tiktokError(400, 36009003, 'Invalid parameter: type and content are required.');
				let content: { content?: unknown };
				try {
					content = JSON.parse(body.content);
				} catch {
					return tiktokError(400, 36009003, 'Invalid parameter: content must be a JSON string.');
				}
				if (typeof content.content !== 'string' || !content.content) return tiktokError(400, 36009003, 'Invalid parameter: content.content is required.');
				return ok({ message_id: fakeId('7494') });
			}
			if (request.method === 'GET' && request.path === '/order/202309/orders') {
				const ids = (request.query.ids ?? '').split(',').filter(Boolean);
				if (ids.length === 0 || ids.length > 50) return tiktokError(400, 36009003, 'Invalid parameter: ids must hold 1 to 50 order ids.');
				return ok({ orders: orders.filter((o) => ids.includes(o.id)).map(renderOrder) });
			}
			return tiktokError(404, 36009009, 'Invalid path. The specified path does not match any available endpoint.');
		},
		failure(status) {
			if (status === 429) return tiktokError(429, 36009002, "Too many requests. You've made too many requests in a short period of time.");
			if (status >= 500) return tiktokError(status, 36009007, 'Request timeout. The request to the endpoint timed out.');
			return tiktokError(status, 12052003, 'The conversation does not exist or has been closed.');
		}
	};
}

/** One line item per unit, as 202309 lists them. */
function renderOrder(order: FakeOrder) {
	return {
		id: order.id,
		status: order.status,
		create_time: seconds(order.placedAt),
		user_id: order.customerId,
		buyer_email: `v${order.customerId}@scs.tiktokw.us`,
		recipient_address: { name: order.customerName ?? 'Somchai J.', first_name: '', last_name: '', phone_number: '(+66)81****678', region_code: 'TH', full_address: 'Bangkok, 10110' },
		tracking_number: order.tracking?.number ?? '',
		shipping_provider: order.tracking?.carrier ?? '',
		payment: { currency: order.currency, total_amount: orderTotal(order).toFixed(2), sub_total: orderTotal(order).toFixed(2) },
		line_items: order.items.flatMap((item) =>
			Array.from({ length: item.quantity }, () => ({ id: fakeId(), product_name: item.name, sku_name: '', sale_price: item.price.toFixed(2), currency: order.currency }))
		)
	};
}

export const tiktokFake: PlatformFake<TikTokCredentials> = {
	platform: 'tiktok',
	credentials: { appKey: '68xu9ks5p4i8', appSecret: 'e59af819cc-tiktok-secret', accessToken: 'TTP_shopAccessToken0123456789' },
	otherCredentials: { appKey: '68xu9ks5p4i8', appSecret: 'not-the-app-secret', accessToken: 'TTP_other' },
	app: (credentials) => ({ id: credentials.appKey, secret: credentials.appSecret, serviceId: SERVICE_ID }),
	config: (apiBaseUrl, accountId = SHOP_ID) => ({ externalId: accountId, webhookUrl: 'https://chatmai.example/webhooks/tiktok/conn-1', apiBaseUrl, settings: { shopCipher: SHOP_CIPHER } }),
	rules,
	sign: (rawBody: Uint8Array, options: WebhookOptions<TikTokCredentials>) => ({
		'content-type': 'application/json',
		authorization: createHmac('sha256', options.credentials.appSecret).update(options.credentials.appKey).update(rawBody).digest('hex')
	}),
	webhook(event, options) {
		const now = new Date();
		const notification = { tts_notification_id: fakeId('7327'), shop_id: options.accountId ?? SHOP_ID, timestamp: seconds(now) };
		let json: Record<string, unknown>;
		if (event.kind === 'unknown') {
			json = { type: 13, ...notification, data: { conversation_id: '576486316948490001', create_time: seconds(now) } };
		} else if (event.kind === 'order_update') {
			json = { type: 1, ...notification, data: { order_id: event.orderId, order_status: event.status, is_on_hold_order: false, update_time: seconds(event.updatedAt ?? now) } };
		} else {
			json = {
				type: 14,
				...notification,
				data: {
					content: JSON.stringify(event.imageUrl ? { height: '290', url: event.imageUrl, width: '304' } : { content: event.text ?? 'Hello' }),
					conversation_id: event.threadId ?? '576486316948490001',
					create_time: seconds(event.sentAt ?? now),
					is_visible: true,
					message_id: event.messageId ?? fakeId('7223'),
					index: fakeId('7494'),
					type: event.imageUrl ? 'IMAGE' : 'TEXT',
					sender: event.fromSeller ? { im_user_id: SHOP_IM_ID, role: 'CUSTOMER_SERVICE' } : { im_user_id: event.customerId ?? '7078855651811655940', role: 'BUYER' }
				}
			};
		}
		const body = Buffer.from(JSON.stringify(json));
		return { headers: tiktokFake.sign(body, options), body, json };
	}
};

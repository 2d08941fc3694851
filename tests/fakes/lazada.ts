/**
 * Fake Lazada Open Platform (/im/message/send, /orders/get, /order/get, /order/items/get under /rest) and push
 * builder. Errors are `{ type, code, message, request_id }`, as https://open.lazada.com documents them.
 */
import { createHmac } from 'node:crypto';
import type { LazadaCredentials } from '../../connectors/lazada/credentials.ts';
import { consentPage } from './oauth.ts';
import { fakeId, type FakeReply, type PlatformRules, type RecordedRequest } from './server.ts';
import { orderTotal, seconds, type FakeOrder, type PlatformFake, type RulesContext, type WebhookOptions } from './types.ts';

const SELLER_ID = '100094063';
const SELLER_ACCOUNT_ID = '231135951';

function lazadaError(status: number, type: 'ISV' | 'ISP' | 'SYSTEM', code: string, message: string): FakeReply {
	return { status, body: { type, code, message, request_id: fakeId('0b') } };
}

function ok(data: unknown): FakeReply {
	return { status: 200, body: { code: '0', data, request_id: fakeId('0b') } };
}

/** Lazada's documented algorithm, written independently of the connector so a shared mistake cannot hide. */
function expectedSign(secret: string, path: string, params: Record<string, string>): string {
	let base = path;
	for (const key of Object.keys(params).sort()) if (key !== 'sign') base += key + params[key];
	return createHmac('sha256', secret).update(base, 'utf8').digest('hex').toUpperCase();
}

function rules({ credentials, config, orders, tokens }: RulesContext<LazadaCredentials>): PlatformRules {
	const params = (request: RecordedRequest) => ({ ...request.query, ...request.form });
	const signedByApp = (request: RecordedRequest) => {
		const p = params(request);
		return p.app_key === credentials.appKey && p.sign_method === 'sha256' && p.sign === expectedSign(credentials.appSecret, request.path, p);
	};
	const grant = (g: { accessToken: string; refreshToken: string; expiresIn: number; refreshExpiresIn: number }) => ({
		status: 200,
		body: {
			access_token: g.accessToken,
			refresh_token: g.refreshToken,
			expires_in: g.expiresIn,
			refresh_expires_in: g.refreshExpiresIn,
			country: 'th',
			account_platform: 'seller_center',
			account: 'seller@chatmai.example',
			country_user_info: [{ country: 'th', user_id: SELLER_ACCOUNT_ID, seller_id: config.externalId, short_code: 'THJ2CD4E' }],
			code: '0',
			request_id: fakeId('0b')
		}
	});
	return {
		public(request) {
			if (request.path === '/oauth/authorize') {
				const p = request.query;
				if (p.client_id !== credentials.appKey || p.response_type !== 'code' || !p.redirect_uri) return lazadaError(400, 'ISV', 'InvalidParameter', 'client_id or redirect_uri is invalid');
				const back = new URL(p.redirect_uri);
				back.searchParams.set('code', tokens.code());
				if (p.state) back.searchParams.set('state', p.state);
				return consentPage('Lazada', back);
			}
			if (request.path === '/auth/token/create') {
				if (!signedByApp(request)) return lazadaError(200, 'ISV', 'IncompleteSignature', 'The request signature does not conform to platform standards');
				return tokens.takeCode(params(request).code) ? grant(tokens.issue()) : lazadaError(200, 'ISV', 'InvalidCode', 'Invalid authorization code');
			}
			if (request.path === '/auth/token/refresh') {
				if (!signedByApp(request)) return lazadaError(200, 'ISV', 'IncompleteSignature', 'The request signature does not conform to platform standards');
				const renewed = tokens.refresh(params(request).refresh_token);
				return renewed ? grant(renewed) : lazadaError(200, 'ISV', 'IllegalRefreshToken', 'The specified refresh token is invalid or expired');
			}
			return null;
		},
		authenticate(request) {
			const p = params(request);
			if (p.app_key !== credentials.appKey) return lazadaError(200, 'ISV', 'InvalidAppKey', 'Specified app key is invalid');
			if (!p.sign) return lazadaError(200, 'ISV', 'MissingSignature', 'The input parameter "sign" that is mandatory for processing this request is not supplied');
			if (p.sign_method !== 'sha256' || p.sign !== expectedSign(credentials.appSecret, request.path, p)) {
				return lazadaError(200, 'ISV', 'IncompleteSignature', 'The request signature does not conform to platform standards');
			}
			if (p.access_token !== credentials.accessToken && !tokens.accepts(p.access_token)) return lazadaError(200, 'ISV', 'IllegalAccessToken', 'The specified access token is invalid or expired');
			return null;
		},
		route(request) {
			const p = params(request);
			if (request.method === 'GET' && request.path === '/seller/get') {
				return ok({ name: 'ChatMai Lazada Store', seller_id: Number(config.externalId), short_code: 'THJ2CD4E', email: 'seller@chatmai.example', location: 'Bangkok' });
			}
			if (request.method === 'POST' && request.path === '/im/message/send') {
				if (!p.session_id) return lazadaError(200, 'ISV', 'MissingParameter', 'The input parameter "session_id" that is mandatory for processing this request is not supplied');
				if (p.template_id !== '1' || !p.txt) return lazadaError(200, 'ISV', 'InvalidParameter', 'txt is required for template 1');
				return ok({ message_id: fakeId('21d0'), session_id: p.session_id, template_id: 1 });
			}
			if (request.method === 'GET' && request.path === '/orders/get') {
				if (!p.created_after && !p.update_after) return lazadaError(200, 'ISV', 'MissingParameter', 'created_after or update_after is required');
				return ok({ count: orders.length, countTotal: orders.length, orders: orders.map(renderOrder) });
			}
			if (request.method === 'GET' && request.path === '/order/get') {
				const order = orders.find((o) => o.id === p.order_id);
				return order ? ok(renderOrder(order)) : lazadaError(200, 'ISV', 'E0001', 'Order not found');
			}
			if (request.method === 'GET' && request.path === '/order/items/get') {
				const order = orders.find((o) => o.id === p.order_id);
				return order ? ok(renderItems(order)) : lazadaError(200, 'ISV', 'E0001', 'Order not found');
			}
			return lazadaError(404, 'ISV', 'InvalidApiPath', 'The specified API path is invalid');
		},
		failure(status) {
			if (status === 429) return lazadaError(429, 'ISP', 'ApiCallLimit', 'The request has exceeded the API call limit, please try again later.');
			if (status >= 500) return lazadaError(status, 'SYSTEM', 'ServiceUnavailable', 'The service is temporarily unavailable.');
			return lazadaError(status, 'ISV', 'IM_SESSION_CLOSED', 'The session has been closed by the buyer.');
		}
	};
}

function lazadaTime(date: Date): string {
	const local = new Date(date.getTime() + 7 * 3_600_000).toISOString();
	return `${local.slice(0, 10)} ${local.slice(11, 19)} +0700`;
}

function renderOrder(order: FakeOrder) {
	return {
		order_id: order.id,
		order_number: order.id,
		created_at: lazadaTime(order.placedAt),
		updated_at: lazadaTime(order.placedAt),
		price: orderTotal(order).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 }),
		voucher: 0,
		shipping_fee: 0,
		statuses: [order.status.toLowerCase()],
		buyer_id: Number(order.customerId),
		customer_first_name: order.customerName?.split(' ')[0] ?? 'สมชาย',
		customer_last_name: order.customerName?.split(' ').slice(1).join(' ') ?? '',
		address_shipping: { first_name: order.customerName ?? 'สมชาย', last_name: '', phone: '66812345678', address1: '99 Sukhumvit Rd', city: 'Bangkok', country: 'Thailand', post_code: '10110' },
		items_count: order.items.reduce((n, item) => n + item.quantity, 0)
	};
}

/** One row per unit, as Lazada lists them. */
function renderItems(order: FakeOrder) {
	return order.items.flatMap((item) =>
		Array.from({ length: item.quantity }, () => ({
			order_item_id: fakeId(),
			order_id: order.id,
			name: item.name,
			item_price: item.price,
			paid_price: item.price,
			currency: order.currency,
			status: order.status.toLowerCase(),
			tracking_code: order.tracking?.number ?? '',
			shipment_provider: order.tracking?.carrier ?? ''
		}))
	);
}

export const lazadaFake: PlatformFake<LazadaCredentials> = {
	platform: 'lazada',
	credentials: { appKey: '123456', appSecret: 'lazada-app-secret-helloworld', accessToken: '50000601c30atpedfgu3LVvik87Ixlsvle3mSoB7701ceb156fPunYZ43GBg' },
	otherCredentials: { appKey: '123456', appSecret: 'some-other-secret', accessToken: 'other-token' },
	basePath: '/rest',
	app: (credentials) => ({ id: credentials.appKey, secret: credentials.appSecret }),
	config: (apiBaseUrl, accountId = SELLER_ID) => ({ externalId: accountId, webhookUrl: 'https://chatmai.example/webhooks/lazada/conn-1', apiBaseUrl, settings: {} }),
	rules,
	sign: (rawBody: Uint8Array, options: WebhookOptions<LazadaCredentials>) => ({
		'content-type': 'application/json',
		authorization: createHmac('sha256', options.credentials.appSecret).update(options.credentials.appKey).update(rawBody).digest('hex')
	}),
	webhook(event, options) {
		const now = new Date();
		const sellerId = options.accountId ?? SELLER_ID;
		let json: Record<string, unknown>;
		if (event.kind === 'unknown') {
			json = { seller_id: sellerId, message_type: 8, data: { app_key: options.credentials.appKey, auth_expiry_time: seconds(now) + 86_400, seller_id: sellerId }, timestamp: seconds(now), site: 'lazada_th' };
		} else if (event.kind === 'order_update') {
			json = {
				seller_id: sellerId,
				message_type: 0,
				data: { order_status: event.status, status_update_time: seconds(event.updatedAt ?? now), trade_order_id: event.orderId, trade_order_line_id: `${event.orderId}01` },
				timestamp: now.getTime(),
				site: 'lazada_th'
			};
		} else {
			const customerId = event.customerId ?? '1011822749';
			const [from, fromType, to, toType] = event.fromSeller ? [SELLER_ACCOUNT_ID, 2, customerId, 1] : [customerId, 1, SELLER_ACCOUNT_ID, 2];
			json = {
				data: {
					session_id: event.threadId ?? `${sellerId}_2_${customerId}_1_103`,
					message_id: event.messageId ?? fakeId('1zYOS'),
					content: JSON.stringify(event.imageUrl ? { imgUrl: event.imageUrl, width: 445, height: 168 } : { txt: event.text ?? 'Hello' }),
					from_account_id: from,
					from_account_type: fromType,
					send_time: (event.sentAt ?? now).getTime(),
					template_id: event.imageUrl ? 3 : 1,
					to_account_id: to,
					to_account_type: toType,
					type: 1,
					site_id: 'TH',
					process_msg: '',
					auto_reply: false,
					status: 0
				},
				// As in Lazada's own IM sample: no top-level timestamp.
				seller_id: sellerId,
				message_type: 2,
				site: 'lazada_th'
			};
		}
		const body = Buffer.from(JSON.stringify(json));
		return { headers: lazadaFake.sign(body, options), body, json };
	}
};

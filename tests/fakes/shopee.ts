/**
 * Fake Shopee Open Platform v2 (sellerchat/send_message, order/get_order_list, order/get_order_detail)
 * and push builder. Envelope `{ request_id, error, message, response }` as in https://open.shopee.com/developer-guide/16.
 */
import { createHmac } from 'node:crypto';
import type { ShopeeCredentials } from '../../connectors/shopee/credentials.ts';
import { consentPage } from './oauth.ts';
import { fakeId, type FakeReply, type PlatformRules, type RecordedRequest } from './server.ts';
import { orderTotal, seconds, type FakeOrder, type PlatformFake, type RulesContext, type WebhookOptions } from './types.ts';

const SHOP_ID = '947042923';
const SHOP_USER_ID = '947151379';

function shopeeError(status: number, error: string, message: string): FakeReply {
	return { status, body: { request_id: fakeId(), error, message } };
}

function ok(response: unknown): FakeReply {
	return { status: 200, body: { request_id: fakeId(), error: '', message: '', response } };
}

/** Public calls (auth_partner, token/get, access_token/get) sign partner_id + path + timestamp. */
function publicSignOk(credentials: ShopeeCredentials, request: RecordedRequest): boolean {
	const { partner_id, timestamp, sign } = request.query;
	return partner_id === credentials.partnerId && sign === createHmac('sha256', credentials.partnerKey).update(`${partner_id}${request.path}${timestamp}`).digest('hex');
}

function rules({ credentials, config, orders, tokens }: RulesContext<ShopeeCredentials>): PlatformRules {
	const grant = (g: { accessToken: string; refreshToken: string; expiresIn: number }) => ({
		status: 200,
		body: { request_id: fakeId(), error: '', message: '', access_token: g.accessToken, refresh_token: g.refreshToken, expire_in: g.expiresIn }
	});
	return {
		public(request: RecordedRequest) {
			if (request.path === '/api/v2/shop/auth_partner') {
				if (!publicSignOk(credentials, request)) return shopeeError(403, 'error_sign', 'Wrong sign.');
				const redirect = new URL(request.query.redirect ?? '');
				redirect.searchParams.set('code', tokens.code());
				redirect.searchParams.set('shop_id', config.externalId);
				return consentPage('Shopee', redirect);
			}
			if (request.method === 'POST' && request.path === '/api/v2/auth/token/get') {
				if (!publicSignOk(credentials, request)) return shopeeError(403, 'error_sign', 'Wrong sign.');
				const body = request.json as { code?: string; shop_id?: number; partner_id?: number };
				if (String(body?.shop_id) !== config.externalId || !tokens.takeCode(body?.code)) return shopeeError(400, 'error_auth', 'Invalid code.');
				return grant(tokens.issue());
			}
			if (request.method === 'POST' && request.path === '/api/v2/auth/access_token/get') {
				if (!publicSignOk(credentials, request)) return shopeeError(403, 'error_sign', 'Wrong sign.');
				const body = request.json as { refresh_token?: string; shop_id?: number };
				const renewed = String(body?.shop_id) === config.externalId ? tokens.refresh(body?.refresh_token) : null;
				return renewed ? grant(renewed) : shopeeError(403, 'error_auth', 'Invalid refresh_token.');
			}
			return null;
		},
		authenticate(request: RecordedRequest) {
			const { partner_id, timestamp, access_token, shop_id, sign } = request.query;
			if (partner_id !== credentials.partnerId) return shopeeError(403, 'error_param', 'partner_id is invalid.');
			if (!timestamp || Math.abs(Date.now() / 1000 - Number(timestamp)) > 300) return shopeeError(403, 'error_param', 'Invalid timestamp.');
			const base = `${partner_id}${request.path}${timestamp}${access_token ?? ''}${shop_id ?? ''}`;
			if (sign !== createHmac('sha256', credentials.partnerKey).update(base).digest('hex')) return shopeeError(403, 'error_sign', 'Wrong sign.');
			if (access_token !== credentials.accessToken && !tokens.accepts(access_token)) return shopeeError(403, 'invalid_acceess_token', 'Invalid access_token.');
			if (shop_id !== config.externalId) return shopeeError(403, 'error_auth', 'Invalid shop_id.');
			return null;
		},
		route(request) {
			if (request.method === 'GET' && request.path === '/api/v2/shop/get_shop_info') {
				return { status: 200, body: { request_id: fakeId(), error: '', message: '', shop_name: 'ChatMai Official Shop', region: 'TH', status: 'NORMAL', is_cb: false } };
			}
			if (request.method === 'POST' && request.path === '/api/v2/sellerchat/send_message') {
				const body = request.json as { to_id?: unknown; message_type?: string; content?: { text?: string } };
				if (typeof body?.to_id !== 'number') return shopeeError(400, 'error_param', 'to_id is required and must be int64.');
				if (body.message_type !== 'text' || !body.content?.text) return shopeeError(400, 'error_param', 'content.text is required.');
				return ok({
					to_id: body.to_id,
					message_id: fakeId('23'),
					message_type: 'text',
					content: { text: body.content.text },
					conversation_id: '709122092476686867',
					created_timestamp: seconds(new Date()),
					message_option: 0,
					source_content: {}
				});
			}
			if (request.method === 'GET' && request.path === '/api/v2/order/get_order_list') {
				const from = Number(request.query.time_from);
				const to = Number(request.query.time_to);
				if (!(to - from <= 15 * 86_400)) return shopeeError(400, 'error_param', 'The time range should be within 15 days.');
				return ok({ more: false, next_cursor: '', order_list: orders.map((o) => ({ order_sn: o.id })) });
			}
			if (request.method === 'GET' && request.path === '/api/v2/order/get_order_detail') {
				const wanted = (request.query.order_sn_list ?? '').split(',').filter(Boolean);
				if (wanted.length === 0 || wanted.length > 50) return shopeeError(400, 'error_param', 'order_sn_list size should be 1 to 50.');
				return ok({ order_list: orders.filter((o) => wanted.includes(o.id)).map(renderOrder) });
			}
			return shopeeError(404, 'error_not_found', 'Wrong url.');
		},
		failure(status) {
			if (status === 429) return shopeeError(429, 'error_too_many_request', 'Too many requests, please try again later.');
			if (status >= 500) return shopeeError(status, 'error_server', 'Something wrong. Please try later.');
			return shopeeError(status, 'error_param', 'The buyer cannot receive messages in this conversation.');
		}
	};
}

function renderOrder(order: FakeOrder) {
	return {
		order_sn: order.id,
		order_status: order.status,
		currency: order.currency,
		total_amount: orderTotal(order),
		create_time: seconds(order.placedAt),
		buyer_user_id: Number(order.customerId),
		buyer_username: order.customerName ?? `buyer_${order.customerId}`,
		item_list: order.items.map((item, i) => ({
			item_id: 1000 + i,
			item_name: item.name,
			model_name: '',
			model_quantity_purchased: item.quantity,
			model_original_price: item.price,
			model_discounted_price: item.price
		})),
		package_list: order.tracking ? [{ package_number: fakeId('OFG'), logistics_status: 'LOGISTICS_PICKUP_DONE', shipping_carrier: order.tracking.carrier }] : []
	};
}

export const shopeeFake: PlatformFake<ShopeeCredentials> = {
	platform: 'shopee',
	credentials: { partnerId: '2001887', partnerKey: 'shopee-partner-key-abcdef', accessToken: '59777174636562737266615546704c6d' },
	otherCredentials: { partnerId: '2001887', partnerKey: 'wrong-partner-key', accessToken: 'ffff7174636562737266615546704c6d' },
	app: (credentials) => ({ id: credentials.partnerId, secret: credentials.partnerKey }),
	config: (apiBaseUrl, accountId = SHOP_ID) => ({ externalId: accountId, webhookUrl: 'https://chatmai.example/webhooks/shopee/conn-1', apiBaseUrl, settings: {} }),
	rules,
	sign: (rawBody: Uint8Array, options: WebhookOptions<ShopeeCredentials>) => ({
		'content-type': 'application/json',
		authorization: createHmac('sha256', options.credentials.pushPartnerKey ?? options.credentials.partnerKey)
			.update(`${options.webhookUrl}|`)
			.update(rawBody)
			.digest('hex')
	}),
	webhook(event, options) {
		const now = new Date();
		const shopId = Number(options.accountId ?? SHOP_ID);
		let json: Record<string, unknown>;
		if (event.kind === 'unknown') {
			json = { code: 1, timestamp: seconds(now), data: { shop_id: shopId, success: 1, extra: 'shop authorization' } };
		} else if (event.kind === 'order_update') {
			const at = event.updatedAt ?? now;
			json = { shop_id: shopId, code: 3, timestamp: seconds(now), data: { ordersn: event.orderId, status: event.status, completed_scenario: '', update_time: seconds(at) } };
		} else {
			const customerId = event.customerId ?? '880011';
			const customerName = event.customerName ?? 'somchai.shop';
			const [from, to] = event.fromSeller ? [SHOP_USER_ID, customerId] : [customerId, SHOP_USER_ID];
			const [fromName, toName] = event.fromSeller ? ['chatmai.official', customerName] : [customerName, 'chatmai.official'];
			json = {
				msg_id: '',
				data: {
					type: 'message',
					region: 'TH',
					content: {
						message_id: event.messageId ?? fakeId('23'),
						shop_id: event.fromSeller ? shopId : 0,
						request_id: fakeId(),
						from_id: Number(from),
						from_user_name: fromName,
						to_id: Number(to),
						to_user_name: toName,
						message_type: event.imageUrl ? 'image' : 'text',
						content: event.imageUrl ? { url: event.imageUrl, thumb_url: event.imageUrl } : { text: event.text ?? 'Hello' },
						conversation_id: event.threadId ?? '709122092476686867',
						created_timestamp: seconds(event.sentAt ?? now),
						region: 'TH',
						is_in_chatbot_session: false,
						source_content: {},
						quoted_msg: { message_id: '' }
					}
				},
				shop_id: shopId,
				code: 10,
				timestamp: seconds(now)
			};
		}
		const body = Buffer.from(JSON.stringify(json));
		return { headers: shopeeFake.sign(body, options), body, json };
	}
};

/**
 * Shopee Open Platform v2 shop API.
 * - Signing (shop API): https://open.shopee.com/developer-guide/16 ("API calls", signature calculation)
 * - Send chat message:  https://open.shopee.com/documents/v2/v2.sellerchat.send_message?module=109&type=1
 * - Order list/detail:  https://open.shopee.com/documents/v2/v2.order.get_order_list?module=94&type=1
 *                       https://open.shopee.com/documents/v2/v2.order.get_order_detail?module=94&type=1
 * Responses are `{ request_id, error, message, response }`; a non-empty `error` is a failure.
 */
import { SendError } from '../shared/errors.ts';
import { hmacSha256 } from '../shared/hmac.ts';
import { apiUrl, callApi, platformFailure } from '../shared/http.ts';
import { assertSendableText, assertWindowOpen } from '../shared/policy.ts';
import { capabilities } from './capabilities.ts';
import type { ShopeeCredentials } from './credentials.ts';
import type { CallContext, Order, OrderLookup, OutgoingReply, SendResult } from '../types.ts';

export const SHOPEE_API_BASE = 'https://partner.shopeemobile.com';

/** Transient error words Shopee returns alongside HTTP 5xx/429. */
const RETRYABLE_SHOPEE_ERRORS = new Set(['error_server', 'error_inner', 'error_network', 'error_too_many_request']);
/** get_order_detail takes at most 50 order numbers; get_order_list covers at most 15 days. */
const DETAIL_BATCH = 50;
const LIST_WINDOW_SECONDS = 15 * 24 * 3600;

/** sign = hex HMAC-SHA256(partner key, partner_id + path + timestamp + access_token + shop_id). */
export function shopSignature(credentials: ShopeeCredentials, path: string, timestamp: number, shopId: string): string {
	const base = `${credentials.partnerId}${path}${timestamp}${credentials.accessToken}${shopId}`;
	return hmacSha256(credentials.partnerKey, [base], 'hex');
}

interface ShopeeEnvelope {
	error?: string;
	message?: string;
	response?: Record<string, unknown>;
}

async function call(ctx: CallContext<ShopeeCredentials>, method: 'GET' | 'POST', path: string, params: Record<string, string>, body?: unknown) {
	const timestamp = Math.floor((ctx.now?.() ?? new Date()).getTime() / 1000);
	const shopId = ctx.config.externalId;
	const url = apiUrl(ctx.config.apiBaseUrl ?? SHOPEE_API_BASE, path);
	url.search = new URLSearchParams({
		partner_id: ctx.credentials.partnerId,
		timestamp: String(timestamp),
		access_token: ctx.credentials.accessToken,
		shop_id: shopId,
		sign: shopSignature(ctx.credentials, path, timestamp, shopId),
		...params
	}).toString();
	const response = await callApi(ctx, {
		method,
		url,
		headers: { 'content-type': 'application/json' },
		...(body === undefined ? {} : { body: JSON.stringify(body) })
	});
	const envelope = (response.json ?? {}) as ShopeeEnvelope;
	if (response.status === 200 && !envelope.error && envelope.response) return envelope.response;
	throw platformFailure({
		status: response.status,
		code: envelope.error || undefined,
		message: envelope.message,
		retryableCodes: RETRYABLE_SHOPEE_ERRORS,
		platform: 'Shopee'
	});
}

export async function send(reply: OutgoingReply, ctx: CallContext<ShopeeCredentials>): Promise<SendResult> {
	assertSendableText(capabilities, reply.text);
	assertWindowOpen(capabilities, reply.lastCustomerMessageAt, ctx.now?.() ?? new Date());
	if (!/^\d+$/.test(reply.customerId)) throw new SendError('permanent', 'Shopee buyer id must be numeric', { code: 'invalid_recipient' });
	const response = await call(ctx, 'POST', '/api/v2/sellerchat/send_message', {}, {
		to_id: Number(reply.customerId),
		message_type: 'text',
		content: { text: reply.text }
	});
	const messageId = response.message_id;
	if (typeof messageId === 'string' || typeof messageId === 'number') return { platformMessageId: String(messageId) };
	throw new SendError('retryable', 'Shopee accepted the message but returned no message_id', { code: 'no_message_id', status: 200 });
}

export async function orders(lookup: OrderLookup, ctx: CallContext<ShopeeCredentials>): Promise<Order[]> {
	if ('orderIds' in lookup) return orderDetails(lookup.orderIds, ctx);
	const now = Math.floor((ctx.now?.() ?? new Date()).getTime() / 1000);
	const list = await call(ctx, 'GET', '/api/v2/order/get_order_list', {
		time_range_field: 'create_time',
		time_from: String(now - LIST_WINDOW_SECONDS),
		time_to: String(now),
		page_size: '100'
	});
	const orderSns = ((list.order_list ?? []) as Array<{ order_sn: string }>).map((o) => o.order_sn);
	const details = await orderDetails(orderSns, ctx);
	return details.filter((order) => order.customerId === lookup.customerId);
}

interface ShopeeOrder {
	order_sn: string;
	order_status: string;
	currency?: string;
	total_amount?: number;
	create_time?: number;
	buyer_user_id?: number | string;
	buyer_username?: string;
	item_list?: Array<{ item_name: string; model_name?: string; model_quantity_purchased: number; model_discounted_price: number }>;
	package_list?: Array<{ shipping_carrier?: string }>;
}

async function orderDetails(orderSns: readonly string[], ctx: CallContext<ShopeeCredentials>): Promise<Order[]> {
	const result: Order[] = [];
	for (let i = 0; i < orderSns.length; i += DETAIL_BATCH) {
		const response = await call(ctx, 'GET', '/api/v2/order/get_order_detail', {
			order_sn_list: orderSns.slice(i, i + DETAIL_BATCH).join(','),
			response_optional_fields: 'buyer_user_id,buyer_username,item_list,total_amount,currency,package_list'
		});
		for (const order of (response.order_list ?? []) as ShopeeOrder[]) result.push(toOrder(order));
	}
	return result;
}

function toOrder(order: ShopeeOrder): Order {
	const carrier = order.package_list?.find((p) => p.shipping_carrier)?.shipping_carrier;
	return {
		externalOrderId: order.order_sn,
		status: order.order_status,
		currency: order.currency ?? null,
		total: order.total_amount === undefined ? null : order.total_amount.toFixed(2),
		items: (order.item_list ?? []).map((item) => ({
			name: item.model_name ? `${item.item_name} (${item.model_name})` : item.item_name,
			quantity: item.model_quantity_purchased,
			price: item.model_discounted_price.toFixed(2)
		})),
		tracking: carrier ? { carrier } : {},
		placedAt: order.create_time ? new Date(order.create_time * 1000) : null,
		...(order.buyer_user_id === undefined ? {} : { customerId: String(order.buyer_user_id) }),
		...(order.buyer_username ? { customerName: order.buyer_username } : {})
	};
}

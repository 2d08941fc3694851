/**
 * Lazada Open Platform REST calls.
 * - Signature: https://open.lazada.com/apps/doc/doc?nodeId=10450&docId=108068
 * - IM send:   https://open.lazada.com/apps/doc/api?path=%2Fim%2Fmessage%2Fsend
 * - Orders:    https://open.lazada.com/apps/doc/api?path=%2Forders%2Fget, %2Forder%2Fget, %2Forder%2Fitems%2Fget
 * Responses are `{ code: "0", data, request_id }`; any other code is an error `{ type, code, message }`,
 * often with HTTP 200.
 */
import { SendError } from '../shared/errors.ts';
import { hmacSha256 } from '../shared/hmac.ts';
import { apiUrl, callApi, platformFailure } from '../shared/http.ts';
import { assertSendableText, assertWindowOpen } from '../shared/policy.ts';
import { capabilities } from './capabilities.ts';
import type { LazadaCredentials } from './credentials.ts';
import type { CallContext, Order, OrderLookup, OutgoingReply, SendResult } from '../types.ts';

/** Thailand's gateway; other countries use api.lazada.{sg,com.my,vn,co.id,com.ph} via `apiBaseUrl`. */
export const LAZADA_API_BASE = 'https://api.lazada.co.th/rest';

/** Throttling and transient codes from the platform's common error list. */
const RETRYABLE_LAZADA_CODES = new Set(['ApiCallLimit', 'AppCallLimit', 'SellerCallLimit', 'ServiceTimeout', 'ServiceUnavailable', 'SystemError', 'InternalError']);
const CUSTOMER_LOOKBACK_DAYS = 30;

/** sign = UPPER hex HMAC-SHA256(app secret, api path + every parameter except `sign` as key+value, sorted by key). */
export function apiSignature(appSecret: string, path: string, params: Record<string, string>): string {
	const sorted = Object.keys(params)
		.filter((key) => key !== 'sign')
		.sort()
		.map((key) => `${key}${params[key]}`)
		.join('');
	return hmacSha256(appSecret, [path + sorted], 'hex').toUpperCase();
}

export async function call(ctx: CallContext<LazadaCredentials>, method: 'GET' | 'POST', path: string, apiParams: Record<string, string>): Promise<unknown> {
	const params: Record<string, string> = {
		app_key: ctx.credentials.appKey,
		timestamp: String((ctx.now?.() ?? new Date()).getTime()),
		sign_method: 'sha256',
		access_token: ctx.credentials.accessToken,
		...apiParams
	};
	params.sign = apiSignature(ctx.credentials.appSecret, path, params);
	const url = apiUrl(ctx.config.apiBaseUrl ?? LAZADA_API_BASE, path);
	const encoded = new URLSearchParams(params).toString();
	if (method === 'GET') url.search = encoded;
	const response = await callApi(ctx, {
		method,
		url,
		...(method === 'POST' ? { headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' }, body: encoded } : {})
	});
	const body = (response.json ?? {}) as { code?: string | number; message?: string; data?: unknown };
	if (response.status === 200 && String(body.code) === '0') return body.data;
	throw platformFailure({ status: response.status, code: body.code, message: body.message, retryableCodes: RETRYABLE_LAZADA_CODES, platform: 'Lazada' });
}

export async function send(reply: OutgoingReply, ctx: CallContext<LazadaCredentials>): Promise<SendResult> {
	assertSendableText(capabilities, reply.text);
	assertWindowOpen(capabilities, reply.lastCustomerMessageAt, ctx.now?.() ?? new Date());
	const data = (await call(ctx, 'POST', '/im/message/send', { session_id: reply.threadId, template_id: '1', txt: reply.text })) as
		| { message_id?: unknown }
		| undefined;
	// UNCERTAIN: the docs list `message_id` in the response without its nesting; we read it from `data`.
	if (typeof data?.message_id === 'string') return { platformMessageId: data.message_id };
	throw new SendError('retryable', 'Lazada accepted the message but returned no message_id', { code: 'no_message_id', status: 200 });
}

interface LazadaOrder {
	order_id: string | number;
	created_at?: string;
	price?: string | number;
	voucher?: string | number;
	shipping_fee?: string | number;
	statuses?: string[];
	buyer_id?: string | number;
	customer_first_name?: string;
	customer_last_name?: string;
	address_shipping?: { first_name?: string; last_name?: string };
}

interface LazadaItem {
	name: string;
	item_price?: string | number;
	paid_price?: string | number;
	currency?: string;
	tracking_code?: string;
	shipment_provider?: string;
	status?: string;
}

export async function orders(lookup: OrderLookup, ctx: CallContext<LazadaCredentials>): Promise<Order[]> {
	if ('orderIds' in lookup) {
		const found: LazadaOrder[] = [];
		for (const orderId of lookup.orderIds) found.push((await call(ctx, 'GET', '/order/get', { order_id: orderId })) as LazadaOrder);
		return Promise.all(found.map((order) => withItems(order, ctx)));
	}
	// UNCERTAIN: whether IM buyer account ids equal the orders' `buyer_id`; orders without one never match.
	const since = new Date((ctx.now?.() ?? new Date()).getTime() - CUSTOMER_LOOKBACK_DAYS * 86_400_000);
	const list = (await call(ctx, 'GET', '/orders/get', { created_after: since.toISOString(), sort_direction: 'DESC', limit: '100' })) as
		| { orders?: LazadaOrder[] }
		| undefined;
	const mine = (list?.orders ?? []).filter((order) => order.buyer_id !== undefined && String(order.buyer_id) === lookup.customerId);
	return Promise.all(mine.map((order) => withItems(order, ctx)));
}

async function withItems(order: LazadaOrder, ctx: CallContext<LazadaCredentials>): Promise<Order> {
	const items = ((await call(ctx, 'GET', '/order/items/get', { order_id: String(order.order_id) })) ?? []) as LazadaItem[];
	return toOrder(order, items);
}

/** Lazada lists one row per unit; identical rows are folded into one line with a quantity. */
function toOrder(order: LazadaOrder, items: LazadaItem[]): Order {
	const lines = new Map<string, { name: string; quantity: number; price: string }>();
	for (const item of items) {
		const price = money(item.paid_price ?? item.item_price) ?? '0.00';
		const key = `${item.name}\u0000${price}`;
		const line = lines.get(key) ?? { name: item.name, quantity: 0, price };
		line.quantity += 1;
		lines.set(key, line);
	}
	const tracked = items.find((item) => item.tracking_code);
	const price = money(order.price);
	const total = price === null ? null : (Number(price) - Number(money(order.voucher) ?? 0) + Number(money(order.shipping_fee) ?? 0)).toFixed(2);
	return {
		externalOrderId: String(order.order_id),
		status: order.statuses?.join(',') || items[0]?.status || 'unknown',
		currency: items.find((item) => item.currency)?.currency ?? null,
		total,
		items: [...lines.values()],
		tracking: tracked ? { number: tracked.tracking_code, ...(tracked.shipment_provider ? { carrier: tracked.shipment_provider } : {}) } : {},
		placedAt: order.created_at ? lazadaTime(order.created_at) : null,
		...(order.buyer_id === undefined ? {} : { customerId: String(order.buyer_id) }),
		...(buyerName(order) ? { customerName: buyerName(order)! } : {})
	};
}

/** The buyer's own name on the order, else the shipping address's (`customer_first_name` is often the first name only). */
function buyerName(order: LazadaOrder): string | null {
	const join = (first?: string, last?: string) => [first, last].map((part) => part?.trim()).filter(Boolean).join(' ');
	return join(order.customer_first_name, order.customer_last_name) || join(order.address_shipping?.first_name, order.address_shipping?.last_name) || null;
}

/** "1,399.00" or 1399 → "1399.00". */
function money(value: string | number | undefined): string | null {
	if (value === undefined || value === '') return null;
	const number = typeof value === 'number' ? value : Number(value.replace(/,/g, ''));
	return Number.isFinite(number) ? number.toFixed(2) : null;
}

/** "2024-02-10 16:00:00 +0700" → Date. */
function lazadaTime(value: string): Date | null {
	const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) ([+-]\d{2})(\d{2})$/.exec(value);
	const date = new Date(match ? `${match[1]}T${match[2]}${match[3]}:${match[4]}` : value);
	return Number.isNaN(date.getTime()) ? null : date;
}

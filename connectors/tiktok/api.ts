/**
 * TikTok Shop Open API, version 202309.
 * - Signing:      https://partner.tiktokshop.com/docv2/page/sign-your-api-request
 * - Send message: https://partner.tiktokshop.com/docv2/page/send-message-202309
 *                 (POST /customer_service/202309/conversations/{conversation_id}/messages)
 * - Get orders:   https://partner.tiktokshop.com/docv2/page/get-order-detail-202309 (GET /order/202309/orders?ids=)
 * - Errors:       https://partner.tiktokshop.com/docv2/page/common-errors
 * Responses are `{ code: 0, message, data, request_id }`; any other code is an error.
 */
import { z } from 'zod';
import { SendError } from '../shared/errors.ts';
import { hmacSha256 } from '../shared/hmac.ts';
import { apiUrl, callApi, platformFailure } from '../shared/http.ts';
import { assertSendableText, assertWindowOpen, readSettings } from '../shared/policy.ts';
import { capabilities } from './capabilities.ts';
import type { TikTokCredentials } from './credentials.ts';
import type { CallContext, Order, OrderLookup, OutgoingReply, SendResult } from '../types.ts';

export const TIKTOK_API_BASE = 'https://open-api.tiktokglobalshop.com';

/** 36009002 too many requests, 36009007 request timeout. */
const RETRYABLE_TIKTOK_CODES = new Set(['36009002', '36009007']);
const ORDER_BATCH = 50;

const settingsSchema = z.object({ shopCipher: z.string().min(1) });

/**
 * sign = hex HMAC-SHA256(app secret, app secret + path + sorted query (key+value, without `sign` and
 * `access_token`) + body + app secret).
 */
export function apiSignature(appSecret: string, path: string, query: Record<string, string>, body: string): string {
	const sorted = Object.keys(query)
		.filter((key) => key !== 'sign' && key !== 'access_token')
		.sort()
		.map((key) => `${key}${query[key]}`)
		.join('');
	return hmacSha256(appSecret, [appSecret, path, sorted, body, appSecret], 'hex');
}

/** A signed call; shop-scoped ones carry the shop's cipher, seller-scoped ones (`/authorization/…/shops`) do not. */
export async function call(
	ctx: CallContext<TikTokCredentials>,
	method: 'GET' | 'POST',
	path: string,
	params: Record<string, string>,
	body?: unknown,
	scope: 'shop' | 'seller' = 'shop'
) {
	const query: Record<string, string> = {
		app_key: ctx.credentials.appKey,
		timestamp: String(Math.floor((ctx.now?.() ?? new Date()).getTime() / 1000)),
		...(scope === 'shop' ? { shop_cipher: readSettings(settingsSchema, ctx.config.settings).shopCipher } : {}),
		...params
	};
	const json = body === undefined ? '' : JSON.stringify(body);
	const url = apiUrl(ctx.config.apiBaseUrl ?? TIKTOK_API_BASE, path);
	url.search = new URLSearchParams({ ...query, sign: apiSignature(ctx.credentials.appSecret, path, query, json) }).toString();
	const response = await callApi(ctx, {
		method,
		url,
		headers: { 'content-type': 'application/json', 'x-tts-access-token': ctx.credentials.accessToken },
		...(body === undefined ? {} : { body: json })
	});
	const envelope = (response.json ?? {}) as { code?: number; message?: string; data?: unknown };
	if (response.status === 200 && envelope.code === 0) return envelope.data;
	throw platformFailure({ status: response.status, code: envelope.code, message: envelope.message, retryableCodes: RETRYABLE_TIKTOK_CODES, platform: 'TikTok Shop' });
}

export async function send(reply: OutgoingReply, ctx: CallContext<TikTokCredentials>): Promise<SendResult> {
	assertSendableText(capabilities, reply.text);
	assertWindowOpen(capabilities, reply.lastCustomerMessageAt, ctx.now?.() ?? new Date());
	const path = `/customer_service/202309/conversations/${encodeURIComponent(reply.threadId)}/messages`;
	const data = (await call(ctx, 'POST', path, {}, { type: 'TEXT', content: JSON.stringify({ content: reply.text }) })) as
		| { message_id?: unknown }
		| undefined;
	if (typeof data?.message_id === 'string') return { platformMessageId: data.message_id };
	throw new SendError('retryable', 'TikTok Shop accepted the message but returned no message_id', { code: 'no_message_id', status: 200 });
}

interface TikTokOrder {
	id: string;
	status: string;
	create_time?: number;
	user_id?: string;
	/** The shipping recipient; TikTok Shop shows no buyer nickname on orders (`buyer_email` is a masked relay address). */
	recipient_address?: { name?: string; first_name?: string; last_name?: string };
	tracking_number?: string;
	shipping_provider?: string;
	payment?: { currency?: string; total_amount?: string };
	line_items?: Array<{ product_name: string; sku_name?: string; sale_price?: string; currency?: string; tracking_number?: string; shipping_provider_name?: string }>;
}

export async function orders(lookup: OrderLookup, ctx: CallContext<TikTokCredentials>): Promise<Order[]> {
	if (!('orderIds' in lookup)) {
		throw new SendError('permanent', 'TikTok Shop orders can only be looked up by order id', { code: 'unsupported_lookup' });
	}
	const result: Order[] = [];
	for (let i = 0; i < lookup.orderIds.length; i += ORDER_BATCH) {
		const ids = lookup.orderIds.slice(i, i + ORDER_BATCH).join(',');
		const data = (await call(ctx, 'GET', '/order/202309/orders', { ids })) as { orders?: TikTokOrder[] } | undefined;
		for (const order of data?.orders ?? []) result.push(toOrder(order));
	}
	return result;
}

/** 202309 lists one line item per unit; identical lines are folded into one with a quantity. */
function toOrder(order: TikTokOrder): Order {
	const lines = new Map<string, { name: string; quantity: number; price: string }>();
	for (const item of order.line_items ?? []) {
		const name = item.sku_name ? `${item.product_name} (${item.sku_name})` : item.product_name;
		const price = Number(item.sale_price ?? 0).toFixed(2);
		const key = `${name}\u0000${price}`;
		const line = lines.get(key) ?? { name, quantity: 0, price };
		line.quantity += 1;
		lines.set(key, line);
	}
	const tracked = order.line_items?.find((item) => item.tracking_number);
	const number = order.tracking_number || tracked?.tracking_number;
	const carrier = order.shipping_provider || tracked?.shipping_provider_name;
	const total = order.payment?.total_amount;
	return {
		externalOrderId: order.id,
		status: order.status,
		currency: order.payment?.currency ?? null,
		total: total === undefined ? null : Number(total).toFixed(2),
		items: [...lines.values()],
		tracking: { ...(number ? { number } : {}), ...(carrier ? { carrier } : {}) },
		placedAt: order.create_time ? new Date(order.create_time * 1000) : null,
		...(order.user_id ? { customerId: order.user_id } : {}),
		...(order.recipient_address?.name?.trim() ? { customerName: order.recipient_address.name.trim() } : {})
	};
}

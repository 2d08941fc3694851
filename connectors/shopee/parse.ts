/**
 * Shopee push bodies `{ code, shop_id, timestamp, data }`: https://open.shopee.com/push-mechanism/10 (webchat, code 10)
 * and https://open.shopee.com/push-mechanism/1 (order status, code 3). Other codes are skipped.
 * UNCERTAIN: how a message sent by the shop itself is marked; see `isFromShop`.
 * `shop_id` is the shop the push is for (one push URL serves every shop of the partner app).
 */
import { z } from 'zod';
import { epochToDate, parsePayload, readAccountIds, validate } from '../shared/payload.ts';
import type { Attachment, MessageEvent, NormalizedEvent, OrderUpdateEvent } from '../types.ts';

export const PUSH_CODE = { orderStatus: 3, webchat: 10 } as const;

const id = z.union([z.string().min(1), z.number()]).transform(String);

const pushSchema = z.object({ code: z.number(), shop_id: id.optional(), data: z.unknown() });
/** The pushes we read are a shop's: without its id they cannot be filed. */
const shopPushSchema = z.object({ shop_id: id });

const webchatSchema = z.object({ type: z.string(), content: z.unknown() });

const chatMessageSchema = z.object({
	message_id: id,
	conversation_id: id,
	from_id: id,
	to_id: id,
	from_user_name: z.string().optional(),
	to_user_name: z.string().optional(),
	from_shop_id: id.optional(),
	shop_id: id.optional(),
	message_type: z.string(),
	content: z.looseObject({ text: z.string().optional(), url: z.string().optional(), order_sn: z.string().optional() }),
	created_timestamp: z.number()
});
type ChatMessage = z.infer<typeof chatMessageSchema>;

const orderStatusSchema = z.object({ ordersn: z.string().min(1), status: z.string().min(1), update_time: z.number() });

/** `shop_id`: the shop the push is for. */
export function accountIds(rawBody: Uint8Array): string[] {
	return readAccountIds(rawBody, (json) => [json.shop_id]);
}

export function parse(rawBody: Uint8Array): NormalizedEvent[] {
	const push = parsePayload(rawBody, pushSchema, 'Shopee push');
	if (push.code !== PUSH_CODE.orderStatus && push.code !== PUSH_CODE.webchat) return [];
	const shopId = validate(shopPushSchema, push, 'Shopee shop push').shop_id;
	if (push.code === PUSH_CODE.orderStatus) return [toOrderUpdate(shopId, validate(orderStatusSchema, push.data, 'Shopee order push'))];
	const webchat = validate(webchatSchema, push.data, 'Shopee webchat push');
	if (webchat.type !== 'message') return [];
	const message = toMessageEvent(validate(chatMessageSchema, webchat.content, 'Shopee chat message'), shopId);
	return message ? [message] : [];
}

/**
 * The shop's own messages carry the shop's id as the sender's shop. UNCERTAIN: Shopee documents neither field
 * precisely; samples show `from_shop_id` on some versions and `shop_id` (the sender's shop) on others.
 */
export function isFromShop(message: ChatMessage, shopId: string | undefined): boolean {
	if (shopId === undefined) return false;
	return message.from_shop_id === shopId || message.shop_id === shopId;
}

function toMessageEvent(message: ChatMessage, shopId: string): MessageEvent | null {
	const fromSeller = isFromShop(message, shopId);
	const attachments: Attachment[] = [];
	if (message.message_type === 'image' && message.content.url) attachments.push({ kind: 'image', url: message.content.url });
	const text = message.message_type === 'text' ? (message.content.text ?? '') : '';
	const orderRef = message.message_type === 'order' ? message.content.order_sn : undefined;
	if (!text && attachments.length === 0 && !orderRef) return null;
	return {
		type: 'message',
		accountId: shopId,
		eventId: `msg:${message.message_id}`,
		platformMessageId: message.message_id,
		threadId: message.conversation_id,
		from: fromSeller ? 'seller' : 'customer',
		customer: fromSeller
			? { externalId: message.to_id, ...(message.to_user_name ? { name: message.to_user_name } : {}) }
			: { externalId: message.from_id, ...(message.from_user_name ? { name: message.from_user_name } : {}) },
		text,
		attachments,
		sentAt: epochToDate(message.created_timestamp),
		...(orderRef ? { orderRef } : {})
	};
}

function toOrderUpdate(shopId: string, data: z.infer<typeof orderStatusSchema>): OrderUpdateEvent {
	return {
		type: 'order_update',
		accountId: shopId,
		eventId: `order:${data.ordersn}:${data.status}:${data.update_time}`,
		orderId: data.ordersn,
		status: data.status,
		updatedAt: epochToDate(data.update_time)
	};
}

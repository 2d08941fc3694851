/**
 * Shopee push bodies `{ code, shop_id, timestamp, data }`: https://open.shopee.com/push-mechanism/10 (webchat, code 10)
 * and https://open.shopee.com/push-mechanism/1 (order status, code 3). Other codes are skipped.
 * UNCERTAIN: how a message sent by the shop itself is marked; see `isFromShop`.
 */
import { z } from 'zod';
import { epochToDate, parsePayload, validate } from '../shared/payload.ts';
import type { Attachment, MessageEvent, NormalizedEvent, OrderUpdateEvent } from '../types.ts';

export const PUSH_CODE = { orderStatus: 3, webchat: 10 } as const;

const id = z.union([z.string().min(1), z.number()]).transform(String);

const pushSchema = z.object({ code: z.number(), shop_id: id.optional(), timestamp: z.number(), data: z.unknown() });

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

export function parse(rawBody: Uint8Array): NormalizedEvent[] {
	const push = parsePayload(rawBody, pushSchema, 'Shopee push');
	if (push.code === PUSH_CODE.orderStatus) return [toOrderUpdate(validate(orderStatusSchema, push.data, 'Shopee order push'))];
	if (push.code !== PUSH_CODE.webchat) return [];
	const webchat = validate(webchatSchema, push.data, 'Shopee webchat push');
	if (webchat.type !== 'message') return [];
	const message = toMessageEvent(validate(chatMessageSchema, webchat.content, 'Shopee chat message'), push.shop_id);
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

function toMessageEvent(message: ChatMessage, shopId: string | undefined): MessageEvent | null {
	const fromSeller = isFromShop(message, shopId);
	const attachments: Attachment[] = [];
	if (message.message_type === 'image' && message.content.url) attachments.push({ kind: 'image', url: message.content.url });
	const text = message.message_type === 'text' ? (message.content.text ?? '') : '';
	const orderRef = message.message_type === 'order' ? message.content.order_sn : undefined;
	if (!text && attachments.length === 0 && !orderRef) return null;
	return {
		type: 'message',
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

function toOrderUpdate(data: z.infer<typeof orderStatusSchema>): OrderUpdateEvent {
	return {
		type: 'order_update',
		eventId: `order:${data.ordersn}:${data.status}:${data.update_time}`,
		orderId: data.ordersn,
		status: data.status,
		updatedAt: epochToDate(data.update_time)
	};
}

/**
 * TikTok Shop webhooks `{ type, tts_notification_id, shop_id, timestamp, data }`:
 * - 14 New message: https://partner.tiktokshop.com/docv2/page/14-new-message
 * - 1 Order status change: https://partner.tiktokshop.com/docv2/page/1-order-status-change
 * Other types (13 new conversation, products, returns…) are skipped.
 * `shop_id` is the shop the webhook is for (one webhook URL per app).
 */
import { z } from 'zod';
import { epochToDate, parseNestedJson, parsePayload, readAccountIds, validate } from '../shared/payload.ts';
import type { Attachment, MessageEvent, NormalizedEvent, OrderUpdateEvent } from '../types.ts';

export const WEBHOOK_TYPE = { orderStatus: 1, newMessage: 14 } as const;

const id = z.union([z.string().min(1), z.number()]).transform(String);

const webhookSchema = z.object({ type: z.number(), shop_id: id, data: z.unknown() });

const messageSchema = z.object({
	message_id: id,
	conversation_id: id,
	type: z.string(),
	content: z.string(),
	create_time: z.number(),
	is_visible: z.boolean().optional(),
	sender: z.object({ im_user_id: id, role: z.string() })
});
type TikTokMessage = z.infer<typeof messageSchema>;

const orderSchema = z.object({ order_id: id, order_status: z.string().min(1), update_time: z.number() });

/** Roles that speak for the shop; SYSTEM notices are skipped. */
const SELLER_ROLES = new Set(['SHOP', 'CUSTOMER_SERVICE', 'ROBOT']);

/** `shop_id`: the shop the webhook is for. */
export function accountIds(rawBody: Uint8Array): string[] {
	return readAccountIds(rawBody, (json) => [json.shop_id]);
}

export function parse(rawBody: Uint8Array): NormalizedEvent[] {
	const webhook = parsePayload(rawBody, webhookSchema, 'TikTok Shop webhook');
	if (webhook.type === WEBHOOK_TYPE.orderStatus) return [toOrderUpdate(webhook.shop_id, validate(orderSchema, webhook.data, 'TikTok order webhook'))];
	if (webhook.type !== WEBHOOK_TYPE.newMessage) return [];
	const message = toMessageEvent(webhook.shop_id, validate(messageSchema, webhook.data, 'TikTok message webhook'));
	return message ? [message] : [];
}

/** `content` is a JSON string: TEXT `{"content"}`, IMAGE/VIDEO `{"url", …}`, ORDER_CARD `{"order_id"}`. */
function readContent(message: TikTokMessage): { text: string; attachments: Attachment[]; orderRef?: string } {
	const content = (parseNestedJson(message.content) ?? {}) as Record<string, unknown>;
	if (message.type === 'TEXT' && typeof content.content === 'string') return { text: content.content, attachments: [] };
	if ((message.type === 'IMAGE' || message.type === 'VIDEO') && typeof content.url === 'string') {
		return { text: '', attachments: [{ kind: message.type === 'IMAGE' ? 'image' : 'video', url: content.url }] };
	}
	if (message.type === 'ORDER_CARD' && typeof content.order_id === 'string') return { text: '', attachments: [], orderRef: content.order_id };
	return { text: '', attachments: [] };
}

function toMessageEvent(shopId: string, message: TikTokMessage): MessageEvent | null {
	const role = message.sender.role;
	if (message.is_visible === false || (role !== 'BUYER' && !SELLER_ROLES.has(role))) return null;
	const { text, attachments, orderRef } = readContent(message);
	if (!text && attachments.length === 0 && !orderRef) return null;
	const fromSeller = role !== 'BUYER';
	return {
		type: 'message',
		accountId: shopId,
		eventId: `msg:${message.message_id}`,
		platformMessageId: message.message_id,
		threadId: message.conversation_id,
		from: fromSeller ? 'seller' : 'customer',
		// The webhook names only the sender, so a seller message does not say which buyer it went to.
		// UNCERTAIN: the documented `sender` has `im_user_id` and `role` but no nickname; the buyer is named from an
		// order's `recipient_address.name` once an order card's order is fetched (connectors/pipeline/orders.ts).
		customer: fromSeller ? null : { externalId: message.sender.im_user_id },
		text,
		attachments,
		sentAt: epochToDate(message.create_time),
		...(orderRef ? { orderRef } : {})
	};
}

function toOrderUpdate(shopId: string, data: z.infer<typeof orderSchema>): OrderUpdateEvent {
	return {
		type: 'order_update',
		accountId: shopId,
		eventId: `order:${data.order_id}:${data.order_status}:${data.update_time}`,
		orderId: data.order_id,
		status: data.order_status,
		updatedAt: epochToDate(data.update_time)
	};
}

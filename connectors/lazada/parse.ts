/**
 * Lazada push bodies `{ seller_id, message_type, data, timestamp, site }`:
 * - IM message, message_type 2: https://open.lazada.com/apps/doc/doc?nodeId=29538&docId=121553
 * - Trade and reverse order status, message_type 0: https://open.lazada.com/apps/doc/doc?nodeId=29538&docId=120196
 * Delivery is at least once, so event ids come from the message and status, never from arrival.
 * `seller_id` is the seller the push is for (one push URL per app). The top-level `timestamp` is not read:
 * Lazada's own IM sample has none.
 */
import { z } from 'zod';
import { epochToDate, parseNestedJson, parsePayload, readAccountIds, validate } from '../shared/payload.ts';
import type { Attachment, MessageEvent, NormalizedEvent, OrderUpdateEvent } from '../types.ts';

export const MESSAGE_TYPE = { tradeOrder: 0, imMessage: 2 } as const;
/** IM template ids: 1 text, 3 image; account types: 1 buyer, 2 seller; message type 2 is a system message. */
const TEMPLATE = { text: 1, image: 3 } as const;
const SELLER_ACCOUNT = 2;
const SYSTEM_MESSAGE = 2;
const RECALLED = 1;

const id = z.union([z.string().min(1), z.number()]).transform(String);

const pushSchema = z.object({ seller_id: id, message_type: z.number(), data: z.unknown() });

const imSchema = z.object({
	session_id: id,
	message_id: id,
	content: z.string(),
	from_account_id: id,
	from_account_type: z.number(),
	to_account_id: id,
	send_time: z.number(),
	template_id: z.number(),
	type: z.number(),
	status: z.number().optional()
});
type ImMessage = z.infer<typeof imSchema>;

const orderSchema = z.object({
	trade_order_id: id,
	trade_order_line_id: id.optional(),
	order_status: z.string().min(1),
	status_update_time: z.number(),
	buyer_id: id.optional()
});

/** `seller_id`: the seller the push is for. */
export function accountIds(rawBody: Uint8Array): string[] {
	return readAccountIds(rawBody, (json) => [json.seller_id]);
}

export function parse(rawBody: Uint8Array): NormalizedEvent[] {
	const push = parsePayload(rawBody, pushSchema, 'Lazada push');
	if (push.message_type === MESSAGE_TYPE.tradeOrder) return [toOrderUpdate(push.seller_id, validate(orderSchema, push.data, 'Lazada order push'))];
	if (push.message_type !== MESSAGE_TYPE.imMessage) return [];
	const message = toMessageEvent(push.seller_id, validate(imSchema, push.data, 'Lazada IM push'));
	return message ? [message] : [];
}

/**
 * `content` is a JSON string: `{"txt": "..."}` for text. UNCERTAIN: the image key; samples show `imgUrl`,
 * the send API takes `img_url`, so both are read here.
 */
function readContent(message: ImMessage): { text: string; attachments: Attachment[] } {
	const content = (parseNestedJson(message.content) ?? {}) as Record<string, unknown>;
	if (message.template_id === TEMPLATE.text && typeof content.txt === 'string') return { text: content.txt, attachments: [] };
	const url = content.imgUrl ?? content.img_url;
	if (message.template_id === TEMPLATE.image && typeof url === 'string') return { text: '', attachments: [{ kind: 'image', url }] };
	return { text: '', attachments: [] };
}

function toMessageEvent(sellerId: string, message: ImMessage): MessageEvent | null {
	if (message.type === SYSTEM_MESSAGE || message.status === RECALLED) return null;
	const { text, attachments } = readContent(message);
	if (!text && attachments.length === 0) return null;
	const fromSeller = message.from_account_type === SELLER_ACCOUNT;
	return {
		type: 'message',
		accountId: sellerId,
		eventId: `msg:${message.message_id}`,
		platformMessageId: message.message_id,
		threadId: message.session_id,
		from: fromSeller ? 'seller' : 'customer',
		// UNCERTAIN: Lazada's IM push sample names no buyer (no nick or account name), so the customer is named from
		// their order (`customer_first_name`, `address_shipping`) when one is fetched (connectors/pipeline/orders.ts).
		customer: { externalId: fromSeller ? message.to_account_id : message.from_account_id },
		text,
		attachments,
		sentAt: epochToDate(message.send_time)
	};
}

function toOrderUpdate(sellerId: string, data: z.infer<typeof orderSchema>): OrderUpdateEvent {
	return {
		type: 'order_update',
		accountId: sellerId,
		eventId: `order:${data.trade_order_id}:${data.trade_order_line_id ?? ''}:${data.order_status}:${data.status_update_time}`,
		orderId: data.trade_order_id,
		status: data.order_status,
		updatedAt: epochToDate(data.status_update_time),
		...(data.buyer_id ? { customerId: data.buyer_id } : {})
	};
}

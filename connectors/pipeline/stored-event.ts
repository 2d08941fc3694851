import { z } from 'zod';
import type { MessageEvent, OrderUpdateEvent } from '../types.ts';

/**
 * The normalized events as the webhook route stored them in `inbound_events.payload` (JSON: dates
 * are ISO strings). Read back with these schemas, so a row written by an older version, or edited
 * by hand, fails loudly on its own instead of corrupting a conversation. The event's `accountId` is
 * not stored: the row's connection is that account.
 */

const date = z.iso.datetime({ offset: true }).transform((s) => new Date(s));

export const storedMessage = z.object({
	type: z.literal('message'),
	eventId: z.string().min(1),
	platformMessageId: z.string().min(1),
	threadId: z.string().min(1),
	from: z.enum(['customer', 'seller']),
	customer: z.object({ externalId: z.string().min(1), name: z.string().optional() }).nullable(),
	text: z.string(),
	attachments: z.array(
		z.object({ kind: z.enum(['image', 'video', 'audio', 'file', 'sticker', 'other']), url: z.string(), name: z.string().optional() })
	),
	sentAt: date,
	replyToken: z.string().optional(),
	orderRef: z.string().optional()
}) satisfies z.ZodType<Omit<MessageEvent, 'accountId'>, unknown>;

export const storedOrderUpdate = z.object({
	type: z.literal('order_update'),
	eventId: z.string().min(1),
	orderId: z.string().min(1),
	customerId: z.string().optional(),
	status: z.string(),
	updatedAt: date
}) satisfies z.ZodType<Omit<OrderUpdateEvent, 'accountId'>, unknown>;

export const storedEvent = z.discriminatedUnion('type', [storedMessage, storedOrderUpdate]);
export type StoredEvent = z.infer<typeof storedEvent>;

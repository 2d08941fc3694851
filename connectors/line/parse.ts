/**
 * LINE webhook events: https://developers.line.biz/en/reference/messaging-api/#webhook-event-objects
 * Dedupe on `webhookEventId` (redeliveries keep it): https://developers.line.biz/en/docs/messaging-api/receiving-messages/#webhook-redelivery
 * `mode: 'standby'` events belong to another channel in a module setup and are skipped.
 * `destination` is the bot's user id: the channel (connection) the events are for.
 */
import { z } from 'zod';
import { epochToDate, parsePayload, readAccountIds, validate } from '../shared/payload.ts';
import type { Attachment, MessageEvent, NormalizedEvent } from '../types.ts';

/** Where message content (images, video, audio, files) is downloaded from, with the channel access token. */
export const LINE_CONTENT_BASE = 'https://api-data.line.me/v2/bot/message';

const bodySchema = z.object({
	destination: z.string().min(1),
	events: z.array(z.looseObject({ type: z.string() }))
});

const sourceSchema = z.discriminatedUnion('type', [
	z.object({ type: z.literal('user'), userId: z.string().min(1) }),
	z.object({ type: z.literal('group'), groupId: z.string().min(1), userId: z.string().optional() }),
	z.object({ type: z.literal('room'), roomId: z.string().min(1), userId: z.string().optional() })
]);

const messageEventSchema = z.object({
	type: z.literal('message'),
	mode: z.enum(['active', 'standby']),
	timestamp: z.number(),
	webhookEventId: z.string().min(1),
	replyToken: z.string().optional(),
	source: sourceSchema,
	message: z.object({
		id: z.string().min(1),
		type: z.string(),
		text: z.string().optional(),
		fileName: z.string().optional(),
		stickerId: z.string().optional(),
		contentProvider: z.object({ type: z.enum(['line', 'external']), originalContentUrl: z.string().optional() }).optional()
	})
});
type LineMessageEvent = z.infer<typeof messageEventSchema>;

const MEDIA_KINDS: Record<string, Attachment['kind']> = { image: 'image', video: 'video', audio: 'audio', file: 'file' };

/** `destination`: the bot user id of the channel the events are for. */
export function accountIds(rawBody: Uint8Array): string[] {
	return readAccountIds(rawBody, (json) => [json.destination]);
}

export function parse(rawBody: Uint8Array): NormalizedEvent[] {
	const body = parsePayload(rawBody, bodySchema, 'LINE webhook');
	const events: NormalizedEvent[] = [];
	for (const item of body.events) {
		if (item.type !== 'message') continue;
		const event = validate(messageEventSchema, item, 'LINE message event');
		const normalized = event.mode === 'active' ? toMessageEvent(body.destination, event) : null;
		if (normalized) events.push(normalized);
	}
	return events;
}

function toMessageEvent(accountId: string, event: LineMessageEvent): MessageEvent | null {
	const { source, message } = event;
	// In groups and rooms the sender's id is present only if they agreed to LINE's terms; without it there is no customer.
	if (!source.userId) return null;
	const threadId = source.type === 'user' ? source.userId : source.type === 'group' ? source.groupId : source.roomId;
	const attachment = toAttachment(message);
	if (message.type !== 'text' && !attachment) return null;
	return {
		type: 'message',
		accountId,
		eventId: event.webhookEventId,
		platformMessageId: message.id,
		threadId,
		from: 'customer',
		customer: { externalId: source.userId },
		text: message.text ?? '',
		attachments: attachment ? [attachment] : [],
		sentAt: epochToDate(event.timestamp),
		...(event.replyToken ? { replyToken: event.replyToken } : {})
	};
}

function toAttachment(message: LineMessageEvent['message']): Attachment | null {
	const kind = MEDIA_KINDS[message.type];
	if (kind) {
		const external = message.contentProvider?.type === 'external' ? message.contentProvider.originalContentUrl : undefined;
		const url = external ?? `${LINE_CONTENT_BASE}/${encodeURIComponent(message.id)}/content`;
		return { kind, url, ...(message.fileName ? { name: message.fileName } : {}) };
	}
	if (message.type === 'sticker' && message.stickerId) {
		// UNCERTAIN: LINE does not document this CDN path; it is the one stickers have long been served from.
		return { kind: 'sticker', url: `https://stickershop.line-scdn.net/stickershop/v1/sticker/${message.stickerId}/android/sticker.png` };
	}
	return null;
}

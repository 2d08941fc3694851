/**
 * TikTok Shop customer service limits: https://partner.tiktokshop.com/docv2/page/customer-service-api-overview
 * UNCERTAIN: no text limit or reply window is published for the 202309 Send Message API; 1000 characters and
 * "no window" are kept here only. Webhooks must be answered with 200 within 3 seconds (4 retries over ~15 hours).
 */
import type { Capabilities } from '../types.ts';

export const TIKTOK_MAX_TEXT_LENGTH = 1000;

export const capabilities: Capabilities = {
	maxTextLength: TIKTOK_MAX_TEXT_LENGTH,
	replyWindowHours: null,
	attachments: true,
	echoes: true,
	// Customer-service ids are IM ids, which "can not be used to query orders": only order ids work.
	orderLookup: ['order_ids'],
	ackWithinMs: 3_000,
	refreshesTokens: true,
	authorizes: true
};

/**
 * Shopee seller chat limits: https://open.shopee.com/documents/v2/v2.sellerchat.send_message?module=109&type=1
 * UNCERTAIN: Shopee does not publish a text limit or reply window we could confirm. 600 characters and 7 days
 * are the figures integrators report; these two numbers are the only place to change them.
 */
import type { Capabilities } from '../types.ts';

export const SHOPEE_MAX_TEXT_LENGTH = 600;
export const SHOPEE_REPLY_WINDOW_HOURS = 7 * 24;

export const capabilities: Capabilities = {
	maxTextLength: SHOPEE_MAX_TEXT_LENGTH,
	replyWindowHours: SHOPEE_REPLY_WINDOW_HOURS,
	attachments: true,
	echoes: true,
	orderLookup: ['order_ids', 'customer'],
	ackWithinMs: 3_000,
	refreshesTokens: true,
	authorizes: true
};

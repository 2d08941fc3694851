/**
 * Lazada IM limits: https://open.lazada.com/apps/doc/doc?nodeId=29526&docId=121529 (IM open API)
 * UNCERTAIN: Lazada publishes neither a text limit nor a reply window for IM. 1000 characters and "no window"
 * are conservative guesses kept here only.
 */
import type { Capabilities } from '../types.ts';

export const LAZADA_MAX_TEXT_LENGTH = 1000;

export const capabilities: Capabilities = {
	maxTextLength: LAZADA_MAX_TEXT_LENGTH,
	replyWindowHours: null,
	attachments: true,
	echoes: true,
	orderLookup: ['order_ids', 'customer'],
	// "You need to ack with HTTP status code 200 within 500ms", else retries every 30 minutes, 12 times.
	ackWithinMs: 500,
	refreshesTokens: true,
	authorizes: true
};

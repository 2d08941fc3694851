/**
 * Messenger limits: https://developers.facebook.com/docs/messenger-platform/reference/send-api/ (text ≤ 2000 characters)
 * and https://developers.facebook.com/docs/messenger-platform/policy/policy-overview (24 h, HUMAN_AGENT tag 7 days).
 */
import type { Capabilities } from '../types.ts';

export const capabilities: Capabilities = {
	maxTextLength: 2000,
	replyWindowHours: 24,
	extendedReplyWindowHours: 7 * 24,
	attachments: true,
	echoes: true,
	orderLookup: [],
	ackWithinMs: 20_000,
	// Page tokens taken from a long-lived user token do not expire.
	refreshesTokens: false,
	authorizes: true
};

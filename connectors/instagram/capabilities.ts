/**
 * Instagram messaging limits: https://developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/messaging-api
 * UNCERTAIN: the docs state text "must be UTF-8 and be 1000 bytes or less"; we enforce both 1000 characters and
 * 1000 bytes here, the one place to change. Window: 24 h, HUMAN_AGENT tag 7 days, as on Messenger.
 */
import type { Capabilities } from '../types.ts';

export const capabilities: Capabilities = {
	maxTextLength: 1000,
	maxTextBytes: 1000,
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

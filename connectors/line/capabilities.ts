/**
 * LINE Messaging API limits: https://developers.line.biz/en/reference/messaging-api/#text-message (5000 characters).
 * No reply window: a push message can be sent any time (it counts against the plan's monthly quota).
 */
import type { Capabilities } from '../types.ts';

export const capabilities: Capabilities = {
	maxTextLength: 5000,
	replyWindowHours: null,
	attachments: true,
	echoes: false,
	orderLookup: [],
	ackWithinMs: 1_000,
	// A long-lived channel access token, issued in the LINE Developers console; LINE OA has no authorization page for this.
	refreshesTokens: false,
	authorizes: false
};

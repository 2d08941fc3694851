import type { PlainKey } from '$lib/i18n';
import type { ConversationStatus } from '$lib/conversation-doc';

/** Catalog keys for values that come from the API, so that every one is translated. */

/** Brand names are never translated (like the language names): they come from the platform facts. */
export { platformName } from '$lib/platforms';

const STATUS_KEYS = {
	open: 'conversation.status.open',
	pending: 'conversation.status.pending',
	snoozed: 'conversation.status.snoozed',
	resolved: 'conversation.status.resolved'
} as const satisfies Record<ConversationStatus, PlainKey>;

export function statusKey(status: ConversationStatus): PlainKey {
	return STATUS_KEYS[status];
}

/** Every ReplyRefused / RetryRefused code (src/lib/server/platforms.ts), worded here: the server's English `message` is for API clients. */
const REFUSAL_KEYS: Record<string, PlainKey> = {
	not_found: 'conversation.send.error.notFound',
	empty: 'conversation.send.error.empty',
	too_long: 'conversation.send.error.tooLong',
	window_closed: 'conversation.send.error.windowClosed',
	no_customer_message: 'conversation.send.error.noCustomerMessage',
	disconnected: 'conversation.send.error.disconnected',
	key_reused: 'conversation.send.error.generic',
	forbidden: 'conversation.send.error.forbidden',
	network: 'conversation.send.error.network'
};

export function sendErrorKey(code: string): PlainKey {
	return REFUSAL_KEYS[code] ?? 'conversation.send.error.generic';
}

/** A refused retry of a failed message: the reply's sentences, plus "it is no longer failed". */
export function retryErrorKey(code: string): PlainKey {
	return code === 'not_failed' ? 'conversation.retry.notFailed' : sendErrorKey(code);
}

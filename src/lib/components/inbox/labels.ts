import type { PlainKey } from '$lib/i18n';

/** Catalog keys for values that come from the API, so that every one is translated. */

/** Brand names, never translated (like the language names). */
const PLATFORM_NAMES: Record<string, string> = {
	facebook: 'Messenger',
	instagram: 'Instagram',
	line: 'LINE',
	shopee: 'Shopee',
	lazada: 'Lazada',
	tiktok: 'TikTok Shop'
};

/** The platform's own name; `unknown` (already translated) for anything else. */
export function platformName(platform: string, unknown: string): string {
	return PLATFORM_NAMES[platform] ?? unknown;
}

const STATUS_KEYS = {
	open: 'conversation.status.open',
	pending: 'conversation.status.pending',
	snoozed: 'conversation.status.snoozed',
	resolved: 'conversation.status.resolved'
} as const satisfies Record<string, PlainKey>;

export function statusKey(status: keyof typeof STATUS_KEYS): PlainKey {
	return STATUS_KEYS[status];
}

const REFUSAL_KEYS: Record<string, PlainKey> = {
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

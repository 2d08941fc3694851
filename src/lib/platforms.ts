/**
 * Platform facts: the one place that says which platforms ChatMai speaks to, what each is called,
 * how long a reply may be (in characters and, where the platform counts them, UTF-8 bytes), when a
 * reply is allowed, and what else each can do. Read by the browser (the composer counts what the
 * server counts), the server (routes, the AI draft) and the connectors (each connector's
 * `capabilities` is its entry here, see connectors/types.ts). Plain data and pure functions only:
 * nothing here may import server code.
 */

export const PLATFORMS = ['facebook', 'instagram', 'line', 'shopee', 'lazada', 'tiktok'] as const;
export type Platform = (typeof PLATFORMS)[number];

export type OrderLookupKind = 'order_ids' | 'customer';

/** How long one outgoing text may be. */
export interface TextLimits {
	/** Longest text one outgoing message may carry, in Unicode code points. */
	maxTextLength: number;
	/** Longest text in UTF-8 bytes, where the platform counts bytes (Thai takes 3 bytes a letter); absent or null otherwise. */
	maxTextBytes?: number | null;
}

/** When a reply is allowed, counted from the customer's last message. */
export interface WindowRules {
	/** Hours after the customer's last message in which a normal reply is allowed; `null` means no window. */
	replyWindowHours: number | null;
	/** Hours in which a reply is still allowed with a platform tag (Meta's HUMAN_AGENT), if any. */
	extendedReplyWindowHours?: number | null;
}

/** What a platform can and cannot do; read by the pipeline and the UI instead of switching on the platform. */
export interface Capabilities extends TextLimits, WindowRules {
	maxTextBytes?: number;
	extendedReplyWindowHours?: number;
	/** Whether incoming messages can carry attachments (images, files). */
	attachments: boolean;
	/** Whether the platform sends the seller's own messages back to us (Meta echoes, shop chat copies). */
	echoes: boolean;
	/** How orders can be looked up; empty for chat-only platforms. */
	orderLookup: readonly OrderLookupKind[];
	/** How fast the platform wants the webhook answered with an empty 2xx before it retries. */
	ackWithinMs: number;
	/**
	 * Whether the account's access token expires and is renewed with a refresh token (`Connector.refresh`).
	 * False where tokens do not expire (LINE long-lived channel tokens, Meta Page tokens from a long-lived user token).
	 */
	refreshesTokens: boolean;
	/** Whether the seller connects through the platform's own authorization page (`Connector.authorization`). */
	authorizes: boolean;
	/** Whether the platform can send a test event to the connection's webhook URL on request (`Connector.testWebhook`; LINE only). */
	webhookTest: boolean;
}

export interface PlatformFacts extends Capabilities {
	id: Platform;
	/** The brand name the inbox shows (never translated). */
	name: string;
	/** The product's full name, where it differs (for the AI's prompt and the Settings page). */
	fullName: string;
}

/**
 * Each entry names the documents its numbers come from. Figures we could not confirm are marked
 * UNCERTAIN (also listed in connectors/README.md); this is the only place to change them.
 */
export const PLATFORM_FACTS: { readonly [P in Platform]: Readonly<PlatformFacts> } = {
	/**
	 * https://developers.facebook.com/docs/messenger-platform/reference/send-api/ (text ≤ 2000 characters) and
	 * https://developers.facebook.com/docs/messenger-platform/policy/policy-overview (24 h, HUMAN_AGENT tag 7 days).
	 */
	facebook: {
		id: 'facebook',
		name: 'Messenger',
		fullName: 'Facebook Messenger',
		maxTextLength: 2000,
		replyWindowHours: 24,
		extendedReplyWindowHours: 7 * 24,
		attachments: true,
		echoes: true,
		orderLookup: [],
		ackWithinMs: 20_000,
		// Page tokens taken from a long-lived user token do not expire.
		refreshesTokens: false,
		authorizes: true,
		webhookTest: false
	},
	/**
	 * https://developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/messaging-api
	 * UNCERTAIN: the docs state text "must be UTF-8 and be 1000 bytes or less"; we enforce both 1000 characters
	 * and 1000 bytes. Window: 24 h, HUMAN_AGENT tag 7 days, as on Messenger.
	 */
	instagram: {
		id: 'instagram',
		name: 'Instagram',
		fullName: 'Instagram',
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
		authorizes: true,
		webhookTest: false
	},
	/**
	 * https://developers.line.biz/en/reference/messaging-api/#text-message (5000 characters). No reply window:
	 * a push message can be sent any time (it counts against the plan's monthly quota).
	 */
	line: {
		id: 'line',
		name: 'LINE',
		fullName: 'LINE',
		maxTextLength: 5000,
		replyWindowHours: null,
		attachments: true,
		echoes: false,
		orderLookup: [],
		ackWithinMs: 1_000,
		// A long-lived channel access token, issued in the LINE Developers console; LINE OA has no authorization page for this.
		refreshesTokens: false,
		authorizes: false,
		webhookTest: true
	},
	/**
	 * https://open.shopee.com/documents/v2/v2.sellerchat.send_message?module=109&type=1
	 * UNCERTAIN: Shopee does not publish a text limit or reply window we could confirm. 600 characters and
	 * 7 days are the figures integrators report.
	 */
	shopee: {
		id: 'shopee',
		name: 'Shopee',
		fullName: 'Shopee',
		maxTextLength: 600,
		replyWindowHours: 7 * 24,
		attachments: true,
		echoes: true,
		orderLookup: ['order_ids', 'customer'],
		ackWithinMs: 3_000,
		refreshesTokens: true,
		authorizes: true,
		webhookTest: false
	},
	/**
	 * https://open.lazada.com/apps/doc/doc?nodeId=29526&docId=121529 (IM open API)
	 * UNCERTAIN: Lazada publishes neither a text limit nor a reply window for IM. 1000 characters and
	 * "no window" are conservative guesses. "You need to ack with HTTP status code 200 within 500ms",
	 * else retries every 30 minutes, 12 times.
	 */
	lazada: {
		id: 'lazada',
		name: 'Lazada',
		fullName: 'Lazada',
		maxTextLength: 1000,
		replyWindowHours: null,
		attachments: true,
		echoes: true,
		orderLookup: ['order_ids', 'customer'],
		ackWithinMs: 500,
		refreshesTokens: true,
		authorizes: true,
		webhookTest: false
	},
	/**
	 * https://partner.tiktokshop.com/docv2/page/customer-service-api-overview
	 * UNCERTAIN: no text limit or reply window is published for the 202309 Send Message API; 1000 characters
	 * and "no window". Webhooks must be answered with 200 within 3 seconds (4 retries over ~15 hours).
	 * Customer-service ids are IM ids, which "can not be used to query orders": only order ids work.
	 */
	tiktok: {
		id: 'tiktok',
		name: 'TikTok Shop',
		fullName: 'TikTok Shop',
		maxTextLength: 1000,
		replyWindowHours: null,
		attachments: true,
		echoes: true,
		orderLookup: ['order_ids'],
		ackWithinMs: 3_000,
		refreshesTokens: true,
		authorizes: true,
		webhookTest: false
	}
};

export function isPlatform(value: unknown): value is Platform {
	return typeof value === 'string' && (PLATFORMS as readonly string[]).includes(value);
}

/** The facts of a platform; undefined for a string that is not one (e.g. from an old row). */
export function platformFacts(platform: string): Readonly<PlatformFacts> | undefined {
	return isPlatform(platform) ? PLATFORM_FACTS[platform] : undefined;
}

/** The brand name the inbox shows; `fallback` (e.g. an already translated "Unknown") for anything else. */
export function platformName(platform: string, fallback: string = platform): string {
	return platformFacts(platform)?.name ?? fallback;
}

// Text limits ---------------------------------------------------------------------------------------

const encoder = new TextEncoder();

/** What the platforms count: Unicode code points (an emoji is one) and UTF-8 bytes (a Thai letter is three). */
export function measureText(text: string): { characters: number; bytes: number } {
	let characters = 0;
	for (const _ of text) characters++;
	return { characters, bytes: encoder.encode(text).length };
}

/** The count the composer shows: the limit nearest to being reached, in its own unit. */
export interface TextCount {
	unit: 'characters' | 'bytes';
	count: number;
	max: number;
	/** True when either limit is exceeded. */
	over: boolean;
}

/**
 * Counts a text against a platform's limits the way the server does before it queues a reply. Where
 * the platform has a byte limit too, the binding one is shown: 400 Thai letters on Instagram are
 * 1,200 of 1,000 bytes, not 400 of 1,000 characters.
 */
export function countText(limits: TextLimits, text: string): TextCount {
	const { characters, bytes } = measureText(text);
	const byCharacters: TextCount = { unit: 'characters', count: characters, max: limits.maxTextLength, over: characters > limits.maxTextLength };
	const maxBytes = limits.maxTextBytes;
	if (maxBytes === undefined || maxBytes === null) return byCharacters;
	const over = byCharacters.over || bytes > maxBytes;
	// Equal shares (plain ASCII against equal limits) show characters, the unit a seller thinks in.
	if (bytes * limits.maxTextLength > characters * maxBytes) return { unit: 'bytes', count: bytes, max: maxBytes, over };
	return { ...byCharacters, over };
}

export type TextCheck = { ok: true } | { ok: false; reason: 'empty' } | { ok: false; reason: 'too_long'; unit: TextCount['unit']; count: number; max: number };

/** Whether a text can go out as one message: not blank, and within both limits. */
export function checkText(limits: TextLimits, text: string): TextCheck {
	if (text.trim().length === 0) return { ok: false, reason: 'empty' };
	const { characters, bytes } = measureText(text);
	if (characters > limits.maxTextLength) return { ok: false, reason: 'too_long', unit: 'characters', count: characters, max: limits.maxTextLength };
	if (limits.maxTextBytes !== undefined && limits.maxTextBytes !== null && bytes > limits.maxTextBytes) return { ok: false, reason: 'too_long', unit: 'bytes', count: bytes, max: limits.maxTextBytes };
	return { ok: true };
}

// Reply window --------------------------------------------------------------------------------------

const HOUR_MS = 3_600_000;

/** Where a conversation stands in its platform's reply window. Times are epoch milliseconds. */
export type WindowState =
	| { kind: 'none' }
	| { kind: 'no_customer' }
	| { kind: 'open'; closes: number; hours: number }
	| { kind: 'extended'; closes: number; hours: number; extendedHours: number }
	| { kind: 'closed'; closes: number; hours: number };

/**
 * The reply-window rule, for the server (which refuses a reply) and the browser (which says so
 * before sending): the normal window, then the tagged one (Meta's HUMAN_AGENT) where the platform
 * has it. A reply exactly at the window's end is still allowed.
 */
export function replyWindowState(rules: WindowRules, lastCustomerMessageAt: Date | string | number | null, now: Date | number): WindowState {
	const hours = rules.replyWindowHours;
	if (hours === null) return { kind: 'none' };
	if (lastCustomerMessageAt === null) return { kind: 'no_customer' };
	const last = lastCustomerMessageAt instanceof Date ? lastCustomerMessageAt.getTime() : typeof lastCustomerMessageAt === 'string' ? Date.parse(lastCustomerMessageAt) : lastCustomerMessageAt;
	const at = typeof now === 'number' ? now : now.getTime();
	const closes = last + hours * HOUR_MS;
	if (at <= closes) return { kind: 'open', closes, hours };
	const extendedHours = rules.extendedReplyWindowHours ?? null;
	if (extendedHours !== null && at <= last + extendedHours * HOUR_MS) {
		return { kind: 'extended', closes: last + extendedHours * HOUR_MS, hours, extendedHours };
	}
	const total = extendedHours ?? hours;
	return { kind: 'closed', closes: last + total * HOUR_MS, hours: total };
}

// Response clocks ------------------------------------------------------------------------------------

/**
 * The rule a platform's clock follows: how long the seller has before the platform counts a chat
 * as answered late, or before it stops allowing a normal reply. The clock itself is computed in
 * SQL (src/lib/server/clocks.ts) from these figures; this section is their only source.
 */
export type ClockRule =
	/** Due `hours` after the first customer message nobody has answered yet. */
	| { kind: 'reply_within'; hours: number; autoRepliesCount: boolean }
	/** Due at the first `cutoffHour`:00 in the shop's time zone after the first unanswered customer message. */
	| { kind: 'daily_cutoff'; cutoffHour: number; autoRepliesCount: boolean }
	/** Due when the reply window closes, `hours` after the customer's last message; any reply answers. */
	| { kind: 'window'; hours: number };

/**
 * Each platform's clock; `null` where the platform has none. A marketplace rule counts the chat as
 * answered only by a reply that reached the customer; where `autoRepliesCount` is false, an
 * automatic message (sender `ai` or `system`) does not stop the clock.
 */
export const PLATFORM_CLOCKS: { readonly [P in Platform]: Readonly<ClockRule> | null } = {
	/**
	 * https://developers.facebook.com/docs/messenger-platform/policy/policy-overview — the standard
	 * messaging window closes 24 h after the customer's last message (HUMAN_AGENT's 7 days need app
	 * approval, so the clock shows the standard window).
	 */
	facebook: { kind: 'window', hours: PLATFORM_FACTS.facebook.replyWindowHours ?? 24 },
	/** https://developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/messaging-api — as Messenger. */
	instagram: { kind: 'window', hours: PLATFORM_FACTS.instagram.replyWindowHours ?? 24 },
	/** https://developers.line.biz/en/reference/messaging-api/#send-push-message — no rule: a push can go any time. */
	line: null,
	/**
	 * https://seller.shopee.co.th/edu/article/6937 (Chat Response Rate: chats answered within 12 hours).
	 * UNCERTAIN: the seller-centre page is not public API documentation and its figures change; we
	 * count 12 h from the first unanswered customer message, and Shopee's auto-replies do not count.
	 */
	shopee: { kind: 'reply_within', hours: 12, autoRepliesCount: false },
	/**
	 * https://sellercenter.lazada.co.th/ (Seller Center → Chat performance: same-day response rate).
	 * UNCERTAIN: not in public docs; sellers are told a chat is answered "same day" when the reply comes
	 * before the next 18:00 in the shop's time zone (an 18:00–18:00 cycle), and auto-replies do not count.
	 */
	lazada: { kind: 'daily_cutoff', cutoffHour: 18, autoRepliesCount: false },
	/**
	 * https://seller-th.tiktok.com/university/ (Customer service: response rate within 12 hours, target ≥ 90%).
	 * UNCERTAIN: not in public docs, and whether automatic messages count is not stated (the rule that they
	 * do not is Shopee's and Lazada's), so here they count.
	 */
	tiktok: { kind: 'reply_within', hours: 12, autoRepliesCount: true }
};

/** A platform's clock rule; null for a platform without one or a string that is not a platform. */
export function clockRule(platform: string): Readonly<ClockRule> | null {
	return isPlatform(platform) ? PLATFORM_CLOCKS[platform] : null;
}

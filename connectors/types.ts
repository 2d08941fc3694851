/**
 * The one connector interface every platform implements, and the normalized shapes that cross it.
 * Nothing in here knows a platform's wire format; the rules it promises are numbered in SPEC.md.
 */
import type { ZodType } from 'zod';
import type { Capabilities, OrderLookupKind, Platform } from '../src/lib/platforms.ts';

// The platform list, the capabilities' shape and each platform's figures are platform facts, shared with the browser.
export { PLATFORM_FACTS, PLATFORMS, type Capabilities, type OrderLookupKind, type Platform } from '../src/lib/platforms.ts';

/** The public side of a platform connection (a row of `platform_connections`). */
export interface ConnectionConfig {
	/** The platform's id for the connected account: Page id, Instagram account id, LINE bot user id, shop or seller id. */
	externalId: string;
	/** The public callback URL as registered with the platform (Shopee signs it), not the address behind a proxy. */
	webhookUrl: string;
	/** Overrides the platform's API host, for sandboxes and the fake platforms in tests. @default the real host */
	apiBaseUrl?: string;
	/** Overrides the host of the platform's authorization page and token service, for the fakes in tests. @default the real host */
	authBaseUrl?: string;
	/** The token we told Meta to echo during the GET handshake (`platform_connections.verify_token`). */
	verifyToken?: string;
	/** Public per-connection settings, each connector validates its own (e.g. `graphApiVersion`, `shopCipher`). */
	settings: Record<string, unknown>;
}

/** One webhook delivery exactly as it arrived. */
export interface WebhookRequest {
	/** The body bytes before any parsing: signatures are computed over these. */
	rawBody: Uint8Array;
	headers: HeadersLike;
	/** The public URL the platform posted to (see {@link ConnectionConfig.webhookUrl}). */
	url: string;
}

export type HeadersLike = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

export type OrderLookup = { orderIds: readonly string[] } | { customerId: string };

/** The customer on the other side of a conversation. */
export interface CustomerRef {
	externalId: string;
	name?: string;
}

export interface Attachment {
	kind: 'image' | 'video' | 'audio' | 'file' | 'sticker' | 'other';
	/** Where to fetch it. Some URLs need the connection's token (LINE content) or expire (Meta CDN). */
	url: string;
	name?: string;
}

/** A message in a conversation, from the customer or from the seller's side (an echo). */
export interface MessageEvent {
	type: 'message';
	/** The platform account the event belongs to (see {@link Connector.accountIds}): the webhook is filed under its connection. */
	accountId: string;
	/** Stable per delivery: a redelivery of the same event has the same id. Unique per connection. */
	eventId: string;
	platformMessageId: string;
	/** The conversation on the platform: PSID/IGSID, LINE user/group/room id, shop conversation or session id. */
	threadId: string;
	/** `seller` for the shop's own messages (sent from the platform's app, or ours echoed back); never shown as the customer's. */
	from: 'customer' | 'seller';
	/** The customer; `null` only for seller messages on platforms that don't name the recipient. */
	customer: CustomerRef | null;
	text: string;
	attachments: Attachment[];
	sentAt: Date;
	/** LINE's one-shot reply token, usable once for about a minute. */
	replyToken?: string;
	/** An order the message points at (order cards, "asked about order"). */
	orderRef?: string;
}

export interface OrderUpdateEvent {
	type: 'order_update';
	/** The shop or seller the order belongs to (see {@link Connector.accountIds}). */
	accountId: string;
	eventId: string;
	orderId: string;
	customerId?: string;
	/** The platform's own status word, e.g. `READY_TO_SHIP`, `shipped`, `AWAITING_COLLECTION`. */
	status: string;
	updatedAt: Date;
}

export type NormalizedEvent = MessageEvent | OrderUpdateEvent;

/** An agent's or the AI's reply, as taken from the outbox. */
export interface OutgoingReply {
	/** The outbox row's key; sent where the platform supports idempotent retries (LINE `X-Line-Retry-Key`). A UUID. */
	idempotencyKey: string;
	threadId: string;
	/** The customer's external id (the recipient on Meta and Shopee). */
	customerId: string;
	text: string;
	/** When the customer last wrote; decides the reply window. */
	lastCustomerMessageAt: Date | null;
	/** LINE: the reply token of the customer's last message, used while it is fresh, else the reply is pushed. */
	replyToken?: { token: string; receivedAt: Date };
}

export interface SendResult {
	platformMessageId: string;
}

/** Everything an outgoing call needs; `fetch`, `now` and the timeout are injectable for tests. */
export interface CallContext<C> {
	config: ConnectionConfig;
	credentials: C;
	fetch?: typeof fetch;
	now?: () => Date;
	/** @default 10_000 */
	timeoutMs?: number;
}

export type ReplyWindow =
	| { ok: true; mode: 'standard' | 'extended' }
	| { ok: false; reason: 'no_customer_message' | 'window_closed'; closedAt?: Date };

export interface OrderItem {
	name: string;
	quantity: number;
	/** Unit price as a decimal string in the order's currency. */
	price: string;
}

export interface Order {
	externalOrderId: string;
	status: string;
	currency: string | null;
	/** Decimal string, e.g. `"1299.00"`. */
	total: string | null;
	items: OrderItem[];
	tracking: { carrier?: string; number?: string; url?: string };
	placedAt: Date | null;
	customerId?: string;
	/** The buyer's name as the order shows it (Shopee `buyer_username`, Lazada's first name, TikTok's recipient); names a customer the chat left unnamed. */
	customerName?: string;
}

/** The deployment's own app on a platform, set once per deployment (env or the owner's Settings page). */
export interface AppCredentials {
	/** Meta app id, Shopee partner id, Lazada or TikTok Shop app key. */
	id: string;
	/** Meta app secret, Shopee partner key, Lazada or TikTok Shop app secret. */
	secret: string;
	/** TikTok Shop only: the service id its authorization page names. */
	serviceId?: string;
}

/** What the outside calls of the authorization flow need; `fetch` and `now` are injectable for tests. */
export interface AuthorizationContext {
	app: AppCredentials;
	/** Overrides the platform's API host (CHATMAI_<PLATFORM>_API_URL). @default the real host */
	apiBaseUrl?: string;
	/** Overrides the host of the platform's authorization page and token service (CHATMAI_<PLATFORM>_AUTH_URL). */
	authBaseUrl?: string;
	fetch?: typeof fetch;
	now?: () => Date;
	/** @default 10_000 */
	timeoutMs?: number;
}

/** When a connection's tokens stop working; `null` where the platform does not say (or they do not expire). */
export interface TokenLifetimes {
	accessTokenExpiresAt: Date | null;
	refreshTokenExpiresAt: Date | null;
}

/** One account (Page, Instagram account, shop, seller) the seller granted on the platform's authorization page. */
export interface GrantedAccount<C = unknown> {
	externalId: string;
	name: string;
	/** The connector's full credentials for this account: the app's secrets and the account's tokens. */
	credentials: C;
	/** Public settings the connector needs later (`shopCipher`, `pageId`). */
	settings: Record<string, unknown>;
	tokens: TokenLifetimes;
}

/** The platform's own authorization flow (OAuth-like): the page the seller approves on, then code → tokens. */
export interface Authorization<C = unknown> {
	/** The platform page to send the seller to; `state` comes back on the callback unchanged. */
	authorizeUrl(input: { redirectUri: string; state: string }, ctx: AuthorizationContext): URL;
	/**
	 * Exchanges the callback's query (`code`, and Shopee's `shop_id`) for the granted accounts and their tokens.
	 * Throws `SendError` (`permanent`, with the platform's reason) for a bad or used code.
	 */
	exchange(callback: URLSearchParams, redirectUri: string, ctx: AuthorizationContext): Promise<GrantedAccount<C>[]>;
}

/** Who a set of credentials belongs to, as the platform says (the identity check on connect). */
export interface AccountIdentity {
	externalId: string;
	name: string;
	pictureUrl?: string;
}

/** A customer's public profile, where the platform offers one. */
export interface CustomerProfile {
	name?: string;
	pictureUrl?: string;
}

/** The platform's answer to a test event it sent to the connection's webhook URL. */
export interface WebhookTestResult {
	/** True when our webhook answered 2xx. */
	success: boolean;
	/** The HTTP status our webhook answered, or null when the platform could not reach it. */
	statusCode: number | null;
	/** The platform's reason word (LINE: `OK`, `COULD_NOT_CONNECT`, `ERROR_STATUS_CODE`, `REQUEST_TIMEOUT`…). */
	reason: string;
	/** The platform's own detail sentence, as it gave it. */
	detail: string;
}

/** New credentials after a refresh, and when they stop working. */
export interface RefreshedCredentials<C = unknown> {
	credentials: C;
	tokens: TokenLifetimes;
}

/** The answer to Meta's GET subscription handshake. */
export interface HandshakeResponse {
	status: 200 | 403;
	body: string;
}

/**
 * One platform. Pure where it can be: `verify` checks only the signature, `parse` only the body;
 * `send`, `orders` and `revoke` talk to the platform through the injected `fetch`.
 */
export interface Connector<C = unknown> {
	readonly platform: Platform;
	readonly capabilities: Capabilities;
	/** Validates the secrets a user enters when connecting (and the decrypted blob before each use). */
	readonly credentialSchema: ZodType<C>;
	/** Answers the platform's URL verification GET; `null` when the request is not one. */
	handshake?(url: URL, config: ConnectionConfig): HandshakeResponse | null;
	/** True only for a body signed by the platform with these credentials. Constant-time. */
	verify(request: WebhookRequest, credentials: C): boolean;
	/**
	 * The platform accounts a body is for (Meta `entry[].id`, LINE `destination`, Shopee and TikTok `shop_id`,
	 * Lazada `seller_id`), read leniently before anything is verified or validated: the route finds the
	 * connections, and so the secrets, from these. `[]` when the body is not JSON or names none. Never throws.
	 */
	accountIds(rawBody: Uint8Array): string[];
	/**
	 * When the platform signed the delivery, where it signs a time (Shopee, Lazada and TikTok Shop
	 * sign a body carrying `timestamp`); null when the body has none. Read after `verify` passed: the
	 * route refuses deliveries signed too long ago ([C33]), so a captured webhook cannot be replayed
	 * years later.
	 */
	signedAt?(rawBody: Uint8Array): Date | null;
	/**
	 * Validates and normalizes; every event carries the `accountId` it belongs to. Throws `MalformedPayloadError`
	 * (the route quarantines a signed body that does not parse). Unknown kinds are skipped, not errors.
	 */
	parse(rawBody: Uint8Array): NormalizedEvent[];
	/** Throws `SendError` (`retryable` | `permanent`) carrying the platform's own reason. */
	send(reply: OutgoingReply, ctx: CallContext<C>): Promise<SendResult>;
	checkReplyWindow(lastCustomerMessageAt: Date | null, now: Date): ReplyWindow;
	orders?(lookup: OrderLookup, ctx: CallContext<C>): Promise<Order[]>;
	/** Unsubscribes or revokes the connection's token on the platform, where it offers a way. */
	revoke?(ctx: CallContext<C>): Promise<void>;
	/** Present exactly when `capabilities.authorizes`: the platform's authorization page and code exchange. */
	authorization?: Authorization<C>;
	/**
	 * Asks the platform who these credentials belong to (LINE bot info, Meta `/me`, Shopee shop info, Lazada seller,
	 * TikTok shops). Throws `SendError` with the platform's reason when they are refused.
	 */
	identify(ctx: CallContext<C>): Promise<AccountIdentity>;
	/**
	 * Present exactly when `capabilities.refreshesTokens`: renews the access token with the refresh token. A refresh
	 * token the platform no longer accepts is a permanent `SendError` with `code: 'refresh_rejected'`.
	 */
	refresh?(ctx: CallContext<C>): Promise<RefreshedCredentials<C>>;
	/** The customer's name and picture, where the platform offers a profile (LINE, Messenger, Instagram). */
	profile?(customerId: string, ctx: CallContext<C>): Promise<CustomerProfile>;
	/**
	 * Present exactly when `capabilities.webhookTest`: asks the platform to send a test event to `config.webhookUrl`
	 * and reports what our webhook answered. Throws `SendError` when the platform refuses the request itself.
	 */
	testWebhook?(ctx: CallContext<C>): Promise<WebhookTestResult>;
	/** Starts the account's webhooks where the platform asks the app to (Meta: the Page's `subscribed_apps`). */
	subscribe?(ctx: CallContext<C>): Promise<void>;
}

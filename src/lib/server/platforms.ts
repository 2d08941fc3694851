/**
 * The platforms port: what src/lib and the routes need from connectors/ at run time, filled in by
 * server/ at start-up (arrows point down; nothing here imports connectors/). See
 * connectors/pipeline/README.md.
 */
import type { ZodType } from 'zod';
import type { Platform } from '../platforms.ts';
import type { WorkspaceScope } from './scope.ts';
import type { DeliveryState } from '../conversation-doc.ts';
import type { DeliveryError, DeliveryErrorCode } from '../delivery-errors.ts';
import { DomainError } from './errors.ts';

/**
 * What the console and the API need to know about one platform beyond its platform facts
 * (limits and windows, in src/lib/platforms.ts, which need no port).
 */
export interface PlatformDescription {
	platform: Platform;
	/** Validates the secrets a user pastes when connecting. */
	credentialSchema: ZodType<unknown>;
	/** Whether the platform offers the customer's orders (the shops). */
	orders: boolean;
	/** Whether sellers connect through the platform's authorization page (else they paste credentials: LINE). */
	authorizes: boolean;
	/** Whether the account's tokens expire and are refreshed by the token job. */
	refreshesTokens: boolean;
	/** Whether the platform checks a verify token when subscribing the webhook (Meta); others show no such field. */
	handshake: boolean;
}

/** When a connection's tokens stop working; null where the platform does not say or they do not expire. */
export interface TokenLifetimesView {
	accessTokenExpiresAt: Date | null;
	refreshTokenExpiresAt: Date | null;
}

/** One account the seller granted on the platform's authorization page, with its credentials (never logged). */
export interface GrantedAccountView {
	externalId: string;
	name: string;
	credentials: unknown;
	settings: Record<string, unknown>;
	tokens: TokenLifetimesView;
}

/** The account a set of credentials belongs to, as the platform says. */
export interface AccountIdentityView {
	externalId: string;
	name: string;
}

/**
 * The platform refused or could not be reached. `code` is ours: `refused`, `unreachable` (a timeout,
 * the network or a 5xx: trying again may help) or `not_configured` (no app credentials for the
 * platform); `platformCode` is the platform's own error code (or ours: `timeout`, `network`,
 * `missing_code`, `account_mismatch`), also sent as `details.code`; `message` is the platform's
 * reason in its words (English), shown under our translated sentence.
 */
export type PlatformRefusal = 'refused' | 'unreachable' | 'not_configured';

const PLATFORM_REFUSAL_STATUS: Record<PlatformRefusal, number> = { refused: 422, unreachable: 503, not_configured: 400 };

export class PlatformRefused extends DomainError<PlatformRefusal> {
	readonly platformCode: string | undefined;
	readonly retryable: boolean;
	constructor(message: string, platformCode: string | undefined, retryable: boolean) {
		const code: PlatformRefusal = platformCode === 'not_configured' ? 'not_configured' : retryable ? 'unreachable' : 'refused';
		super(PLATFORM_REFUSAL_STATUS[code], code, message, platformCode ? { details: { code: platformCode } } : {});
		this.name = 'PlatformRefused';
		this.platformCode = platformCode;
		this.retryable = retryable;
	}
}

/** What our webhook answered to the platform's test event (see connectors/types.ts `WebhookTestResult`). */
export interface WebhookTestView {
	success: boolean;
	statusCode: number | null;
	reason: string;
	detail: string;
}

/** A connection as the identity check needs it: credentials in the connector's own shape. */
export interface IdentifiableConnection {
	platform: Platform;
	externalId: string;
	settings: Record<string, unknown>;
	apiBaseUrl: string | undefined;
	credentials: unknown;
}

/** The part of a connection the port needs to revoke it; credentials are already decrypted. */
export interface RevocableConnection {
	id: string;
	workspaceId: string;
	platform: Platform;
	externalId: string;
	verifyToken: string | null;
	settings: Record<string, unknown>;
	apiBaseUrl: string | undefined;
	credentials: unknown;
}

export interface ReplyInput {
	body: string;
	/** Same key, same reply: a retried request never sends twice. 1–200 printable characters. */
	idempotencyKey: string;
	/** @default 'agent' */
	senderType?: 'agent' | 'ai';
}

/** An outgoing message as the API returns it. */
export interface QueuedReply {
	messageId: string;
	conversationId: string;
	body: string;
	deliveryState: DeliveryState;
	/** Why it was not delivered, a stable code (src/lib/delivery-errors.ts); null unless failed. */
	deliveryError: DeliveryErrorCode | null;
	/** The code's parameters and the technical detail, in English; null unless failed. */
	deliveryErrorDetail: Omit<DeliveryError, 'code'> | null;
	sentAt: string;
	/** False when the key had been used before and this is the earlier reply. */
	created: boolean;
}

export const REPLY_REFUSALS = ['not_found', 'empty', 'too_long', 'window_closed', 'no_customer_message', 'disconnected', 'key_reused'] as const;
export type ReplyRefusal = (typeof REPLY_REFUSALS)[number];

const REPLY_REFUSAL_STATUS: Record<ReplyRefusal, number> = {
	not_found: 404,
	empty: 422,
	too_long: 422,
	window_closed: 422,
	no_customer_message: 422,
	disconnected: 409,
	key_reused: 409
};

/**
 * A reply that cannot be queued. `reason` is the code the inbox words in English or Thai
 * (src/lib/components/inbox/labels.ts); the message is an English sentence for API clients.
 */
export class ReplyRefused extends DomainError<ReplyRefusal> {
	readonly reason: ReplyRefusal;
	constructor(reason: ReplyRefusal, message: string) {
		super(REPLY_REFUSAL_STATUS[reason], reason, message);
		this.name = 'ReplyRefused';
		this.reason = reason;
	}
}

/** An outgoing message put back in the queue by `Platforms.retry`. */
export type RetriedReply = Omit<QueuedReply, 'created'>;

export const RETRY_REFUSALS = ['not_found', 'not_failed', 'window_closed', 'no_customer_message', 'disconnected'] as const;
export type RetryRefusal = (typeof RETRY_REFUSALS)[number];

// A retry is refused because of the message's state now, not because of what was sent: 409 throughout.
const RETRY_REFUSAL_STATUS: Record<RetryRefusal, number> = {
	not_found: 404,
	not_failed: 409,
	window_closed: 409,
	no_customer_message: 409,
	disconnected: 409
};

/** A failed message that cannot be sent again now; `reason` is worded by the inbox, the message is for API clients. */
export class RetryRefused extends DomainError<RetryRefusal> {
	readonly reason: RetryRefusal;
	constructor(reason: RetryRefusal, message: string) {
		super(RETRY_REFUSAL_STATUS[reason], reason, message);
		this.name = 'RetryRefused';
		this.reason = reason;
	}
}

export interface OrderView {
	externalOrderId: string;
	status: string;
	currency: string | null;
	total: string | null;
	items: { name: string; quantity: number; price: string }[];
	tracking: { carrier?: string; number?: string; url?: string };
	placedAt: string | null;
	fetchedAt: string;
}

export interface ConversationOrders {
	/** False for chat-only platforms (Messenger, Instagram, LINE). */
	supported: boolean;
	orders: OrderView[];
	/** True when the shop could not be asked just now and these are the cached ones. */
	stale: boolean;
}

/** Implemented by connectors/pipeline (see server/app.ts). */
export interface Platforms {
	describe(platform: Platform): PlatformDescription;
	/** Best effort: revokes the token or unsubscribes on the platform; logs and swallows failures. */
	revoke(connection: RevocableConnection): Promise<void>;
	/** Drops whatever this instance cached about a connection (after a disconnect or new credentials). */
	forget(connectionId: string): void;
	/** The platform's authorization page for this deployment's app; null when the platform has none or no app is configured. */
	authorizeUrl(platform: Platform, input: { redirectUri: string; state: string }): URL | null;
	/** Exchanges the authorization callback for the granted accounts. Throws PlatformRefused. */
	exchange(platform: Platform, callback: URLSearchParams, redirectUri: string): Promise<GrantedAccountView[]>;
	/** Asks the platform who the credentials belong to. Throws PlatformRefused. */
	identify(connection: IdentifiableConnection): Promise<AccountIdentityView>;
	/** Starts the account's webhooks where the platform asks the app to (Meta Pages); a no-op elsewhere. Throws PlatformRefused. */
	subscribe(connection: IdentifiableConnection): Promise<void>;
	/**
	 * Asks the platform to send a test event to the connection's webhook URL as the card shows it (where `webhookTest`);
	 * null when the connection is not active here. Throws PlatformRefused when the platform refuses the request itself.
	 */
	testWebhook(connectionId: string, webhookUrl: string): Promise<WebhookTestView | null>;
	/** Wakes the token refresh job (after a connection's tokens changed). */
	wakeTokenRefresh(): void;
	/** Queues a reply (message row + outbox row in one transaction); throws ReplyRefused. */
	createReply(scope: WorkspaceScope, conversationId: string, input: ReplyInput): Promise<QueuedReply>;
	/**
	 * Sends a failed outgoing message again: its outbox row back to queued (attempts reset, due now),
	 * the message shown as queued, the outbox worker woken. Throws RetryRefused when the message has
	 * not failed, its connection was disconnected, or the platform's reply window has closed since.
	 */
	retry(scope: WorkspaceScope, conversationId: string, messageId: string): Promise<RetriedReply>;
	/** The customer's recent orders, from the cache and refreshed from the shop when old; null when no such conversation. */
	conversationOrders(scope: WorkspaceScope, conversationId: string, options?: { refresh?: boolean }): Promise<ConversationOrders | null>;
}

/** The shapes shared by every fake platform: what a test asks for, and what it gets back. */
import type { AppCredentials, ConnectionConfig, Platform } from '../../connectors/types.ts';
import type { FakeTokens } from './oauth.ts';
import type { PlatformRules } from './server.ts';

/** A webhook to build, described once for every platform. */
export type FakeEvent =
	| {
			kind: 'message';
			/** @default a fresh id */
			messageId?: string;
			/** @default 'cust-1001' style per platform (see each fake) */
			customerId?: string;
			customerName?: string;
			/** The conversation id where the platform has one (Shopee, Lazada, TikTok). */
			threadId?: string;
			/** Ignored when `imageUrl` is set: the message is then an image message. */
			text?: string;
			imageUrl?: string;
			/** The seller's own message (an echo on Meta, a shop message on the marketplaces). */
			fromSeller?: boolean;
			sentAt?: Date;
			/** LINE only: the webhook event id. @default a fresh id */
			eventId?: string;
	  }
	| { kind: 'order_update'; orderId: string; status: string; updatedAt?: Date }
	/** A real event kind the connectors skip: a delivery receipt, a follow, a shop authorization push. */
	| { kind: 'unknown' };

export interface WebhookOptions<C> {
	credentials: C;
	/** The public callback URL (Shopee signs it). */
	webhookUrl: string;
	/** Build it as the platform's redelivery of the same event (LINE sets `isRedelivery`). */
	redelivery?: boolean;
	/** The account the platform says the event is for (Page, bot user, shop or seller id). @default the fake's own */
	accountId?: string;
}

export interface SignedWebhook {
	headers: Record<string, string>;
	/** The exact bytes to POST; the signature covers these. */
	body: Buffer;
	json: unknown;
}

/** An order as the tests think of it; each fake renders it in its platform's response shape. */
export interface FakeOrder {
	id: string;
	customerId: string;
	/** The buyer's name the platform shows on the order. */
	customerName?: string;
	status: string;
	currency: string;
	items: Array<{ name: string; quantity: number; price: number }>;
	tracking?: { carrier: string; number: string };
	placedAt: Date;
}

export interface RulesContext<C> {
	credentials: C;
	config: ConnectionConfig;
	orders: FakeOrder[];
	/** The authorization side: codes, issued and refreshed tokens (accepted beside `credentials`' own token). */
	tokens: FakeTokens;
}

/** Everything one platform's fake knows. */
export interface PlatformFake<C> {
	platform: Platform;
	/** Credentials the fake accepts, and a second set of the same shape it rejects. */
	credentials: C;
	otherCredentials: C;
	/** Path prefix of the API on the fake host (Lazada's `/rest`). */
	basePath?: string;
	/** `accountId` replaces the fake's own account id (tests connect many accounts). */
	config(apiBaseUrl: string, accountId?: string): ConnectionConfig;
	/** The deployment's app as registered with this platform, from the accepted credentials; absent for LINE. */
	app?(credentials: C): AppCredentials;
	rules(context: RulesContext<C>): PlatformRules;
	/** Builds a real-shaped webhook body for `event`, signed exactly as the platform signs it. */
	webhook(event: FakeEvent, options: WebhookOptions<C>): SignedWebhook;
	/** The signature headers for an arbitrary body. */
	sign(rawBody: Uint8Array, options: WebhookOptions<C>): Record<string, string>;
}

export class UnsupportedFakeEvent extends Error {
	constructor(platform: Platform, what: string) {
		super(`${platform} does not send ${what}`);
		this.name = 'UnsupportedFakeEvent';
	}
}

export const THAI_TEXT = 'สวัสดีค่ะ สินค้านี้ยังมีอยู่ไหมคะ ส่งกรุงเทพฯ กี่วัน 🙏';

export const SAMPLE_ORDERS: FakeOrder[] = [
	{
		id: '240601ABCDEF01',
		customerId: '880011',
		status: 'SHIPPED',
		currency: 'THB',
		items: [
			{ name: 'เสื้อยืดคอกลม', quantity: 2, price: 199 },
			{ name: 'กระเป๋าผ้า', quantity: 1, price: 350.5 }
		],
		tracking: { carrier: 'Kerry Express', number: 'KEX123456789TH' },
		placedAt: new Date('2024-06-01T03:04:05Z')
	},
	{
		id: '240602ABCDEF02',
		customerId: '990022',
		status: 'READY_TO_SHIP',
		currency: 'THB',
		items: [{ name: 'หมวกแก๊ป', quantity: 1, price: 259 }],
		placedAt: new Date('2024-06-02T08:00:00Z')
	}
];

export function orderTotal(order: FakeOrder): number {
	return order.items.reduce((sum, item) => sum + item.quantity * item.price, 0);
}

/** Seconds since the epoch, as most platforms send timestamps. */
export function seconds(date: Date): number {
	return Math.floor(date.getTime() / 1000);
}

/**
 * Local fake platform servers and webhook builders for all six platforms — the public API used by the
 * contract suite, integration tests and `npm run simulate`.
 *
 *   const fake = await startFakePlatform('shopee');
 *   await connector.send(reply, { config: fake.config, credentials: fake.credentials });
 *   fake.requests.at(-1);          // what the "platform" received
 *   fake.failNext(1, 503);         // the next call fails in Shopee's own error shape
 *   const { headers, body } = signedWebhook('shopee', { event: { kind: 'message', text: 'สวัสดี' } });
 *   await fake.close();
 *
 * Each fake checks request signing exactly as its platform does and rejects with the platform's error
 * shape and status; it answers in the platform's real response shapes.
 */
import type { AppCredentials, ConnectionConfig, Platform } from '../../connectors/types.ts';
import { FakeTokens } from './oauth.ts';
import { lazadaFake } from './lazada.ts';
import { lineFake } from './line.ts';
import { facebookFake, instagramFake } from './meta.ts';
import { startFakeServer, type InjectedFailure, type PlatformRules, type RecordedRequest } from './server.ts';
import { shopeeFake } from './shopee.ts';
import { tiktokFake } from './tiktok.ts';
import { SAMPLE_ORDERS, type FakeEvent, type FakeOrder, type PlatformFake, type SignedWebhook } from './types.ts';

export type { FakeEvent, FakeOrder, SignedWebhook, RecordedRequest, InjectedFailure };
export { SAMPLE_ORDERS, THAI_TEXT, UnsupportedFakeEvent } from './types.ts';
export { FakeTokens } from './oauth.ts';

/** Every platform's fake; typed loosely here because each has its own credential shape. */
export const platformFakes: { readonly [P in Platform]: PlatformFake<unknown> } = {
	facebook: facebookFake,
	instagram: instagramFake,
	line: lineFake,
	shopee: shopeeFake,
	lazada: lazadaFake,
	tiktok: tiktokFake
};

function fakeFor(platform: Platform): PlatformFake<unknown> {
	return platformFakes[platform];
}

export interface StartOptions {
	/** Credentials the fake accepts. @default the platform's test credentials ({@link testCredentials}) */
	credentials?: unknown;
	/** Orders the shop fakes serve. @default SAMPLE_ORDERS */
	orders?: FakeOrder[];
	/** A fixed port (the e2e server is told its fakes' addresses before they start). @default any free port */
	port?: number;
	/** The connected account's id (Page, bot user, shop or seller id). @default the fake's own */
	accountId?: string;
}

export interface FakePlatform {
	platform: Platform;
	/** Where the connector should send API calls (`ConnectionConfig.apiBaseUrl`). */
	baseUrl: string;
	/** A connection config pointing at this fake. */
	config: ConnectionConfig;
	/** The credentials this fake accepts. */
	credentials: unknown;
	/** Every request received, in order, with what the fake answered. */
	requests: RecordedRequest[];
	/** Orders served by the shop fakes; push to add more. */
	orders: FakeOrder[];
	/** Fails the next `count` calls with `status` (default 500) in the platform's error shape, or never answers (`'timeout'`). */
	failNext(count: number, failure?: InjectedFailure): void;
	/** The app the fake knows (Meta app, Shopee partner, Lazada / TikTok Shop app); LINE has none. */
	app: AppCredentials | undefined;
	/** Where the fake's consent page and token service live (`CHATMAI_<PLATFORM>_AUTH_URL`). */
	authBaseUrl: string;
	/** Codes and tokens the fake handed out; shorten lifetimes or refuse refreshes here. */
	tokens: FakeTokens;
	close(): Promise<void>;
}

export async function startFakePlatform(platform: Platform, options: StartOptions = {}): Promise<FakePlatform> {
	const fake = fakeFor(platform);
	const credentials = options.credentials ?? fake.credentials;
	const orders = [...(options.orders ?? SAMPLE_ORDERS)];
	// The rules need the config, and the config needs the server's port: bind the rules once it listens.
	let rules: PlatformRules | undefined;
	const server = await startFakeServer(
		{
			authenticate: (request) => rules!.authenticate(request),
			route: (request) => rules!.route(request),
			failure: (status) => rules!.failure(status),
			public: (request) => rules!.public?.(request) ?? null
		},
		fake.basePath,
		options.port
	);
	const config = fake.config(server.baseUrl, options.accountId);
	const tokens = new FakeTokens();
	rules = fake.rules({ credentials, config, orders, tokens });
	return {
		platform,
		baseUrl: server.baseUrl,
		authBaseUrl: new URL(server.baseUrl).origin,
		config,
		credentials,
		requests: server.requests,
		orders,
		failNext: server.failNext,
		app: fake.app?.(credentials),
		tokens,
		close: server.close
	};
}

export interface WebhookInput {
	event: FakeEvent;
	/** Signing secrets. @default the platform's test credentials */
	credentials?: unknown;
	/** The public callback URL (Shopee signs it). @default the fake's config webhookUrl */
	webhookUrl?: string;
	/** Build it as the platform's redelivery of the same event. */
	redelivery?: boolean;
	/** The account the event is for (Meta entry id, LINE destination, shop or seller id). @default the fake's own */
	accountId?: string;
}

/** A real-shaped webhook for `platform`, signed exactly as the platform signs it. Throws `UnsupportedFakeEvent` for kinds it never sends. */
export function signedWebhook(platform: Platform, input: WebhookInput): SignedWebhook {
	const fake = fakeFor(platform);
	return fake.webhook(input.event, {
		credentials: input.credentials ?? fake.credentials,
		webhookUrl: input.webhookUrl ?? fake.config('').webhookUrl,
		redelivery: input.redelivery,
		accountId: input.accountId
	});
}

/** The platform's signature headers for any body (to test tampering, odd shapes, unknown kinds). */
export function signBody(platform: Platform, rawBody: Uint8Array, input: { credentials?: unknown; webhookUrl?: string } = {}): Record<string, string> {
	const fake = fakeFor(platform);
	return fake.sign(rawBody, { credentials: input.credentials ?? fake.credentials, webhookUrl: input.webhookUrl ?? fake.config('').webhookUrl });
}

/** The credentials the fakes accept, per platform. */
export function testCredentials(platform: Platform): unknown {
	return fakeFor(platform).credentials;
}

/** Well-formed credentials with different secrets: signatures made with them must be rejected. */
export function otherCredentials(platform: Platform): unknown {
	return fakeFor(platform).otherCredentials;
}

/** A fresh account id of the platform's own form, so that tests sharing a database never connect one account twice. */
let accountSequence = 0;
export function uniqueAccountId(platform: Platform): string {
	accountSequence = (accountSequence + 1) % 1000;
	// A leading 1: shop ids travel as JSON numbers too, where a leading 0 would be lost.
	const digits = '1' + String(Date.now()).slice(-9) + String(accountSequence).padStart(3, '0') + String(Math.floor(Math.random() * 1000)).padStart(3, '0');
	return platform === 'line' ? `U${digits.padStart(32, '0')}` : digits;
}

/** A connection config for `platform`, pointing its API calls at `apiBaseUrl`. */
export function testConfig(platform: Platform, apiBaseUrl?: string): ConnectionConfig {
	const config = fakeFor(platform).config(apiBaseUrl ?? '');
	return apiBaseUrl ? config : { ...config, apiBaseUrl: undefined };
}

/**
 * The connector contract (model: tldraw's storageContractSuite): the same numbered rules, registered for
 * every connector against its fake platform. The rules are listed in connectors/SPEC.md.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { MalformedPayloadError, SendError } from '../../connectors/shared/errors.ts';
import {
	PLATFORM_FACTS,
	PLATFORMS,
	type Connector,
	type MessageEvent,
	type NormalizedEvent,
	type OutgoingReply,
	type Platform,
	type WebhookRequest
} from '../../connectors/types.ts';
import type { FakeEvent, FakeOrder, FakePlatform, SignedWebhook } from '../fakes/platforms.ts';

/** What the suite needs from the outside world for one connector. */
export interface ContractHarness {
	startFake(): Promise<FakePlatform>;
	webhook(event: FakeEvent, options?: { credentials?: unknown; redelivery?: boolean; accountId?: string }): SignedWebhook;
	signBody(rawBody: Uint8Array, credentials?: unknown): Record<string, string>;
	credentials: unknown;
	/** Well-formed credentials with other secrets. */
	otherCredentials: unknown;
	webhookUrl: string;
	/** Orders the fake serves. */
	orders: readonly FakeOrder[];
	thaiText: string;
}

/** Every string inside a JSON value: where the platform's own reason text can be. */
function stringLeaves(value: unknown): string[] {
	if (typeof value === 'string') return [value];
	if (value && typeof value === 'object') return Object.values(value).flatMap(stringLeaves);
	return [];
}

const IMAGE_URL = 'https://cdn.example.com/photos/blue-shirt.jpg';
const HOUR = 3_600_000;

export function connectorContractSuite(connector: Connector<unknown>, harness: ContractHarness): void {
	const { capabilities } = connector;
	const request = (webhook: { body: Uint8Array; headers: Record<string, string> }): WebhookRequest => ({
		rawBody: webhook.body,
		headers: webhook.headers,
		url: harness.webhookUrl
	});
	const messages = (events: NormalizedEvent[]) => events.filter((e): e is MessageEvent => e.type === 'message');
	const parseOne = (event: FakeEvent): MessageEvent => {
		const parsed = messages(connector.parse(harness.webhook(event).body));
		expect(parsed).toHaveLength(1);
		return parsed[0]!;
	};
	const signatureless = (headers: Record<string, string>) =>
		Object.fromEntries(Object.entries(headers).filter(([key]) => key.toLowerCase() === 'content-type'));

	describe(`${connector.platform} connector contract`, () => {
		let fake: FakePlatform;
		beforeEach(async () => {
			fake = await harness.startFake();
		});
		afterEach(async () => {
			await fake.close();
		});

		/** A reply to the customer of a freshly parsed message, as the outbox worker would build it. */
		function replyTo(text: string, lastCustomerMessageAt: Date | null = new Date(Date.now() - 60_000)): OutgoingReply {
			const inbound = parseOne({ kind: 'message', text: 'Hello' });
			return { idempotencyKey: crypto.randomUUID(), threadId: inbound.threadId, customerId: inbound.customer!.externalId, text, lastCustomerMessageAt };
		}
		const ctx = (overrides: { credentials?: unknown; timeoutMs?: number } = {}) => ({
			config: fake.config,
			credentials: overrides.credentials ?? fake.credentials,
			...(overrides.timeoutMs ? { timeoutMs: overrides.timeoutMs } : {})
		});
		async function sendError(promise: Promise<unknown>): Promise<SendError> {
			const error = await promise.then(
				() => undefined,
				(e: unknown) => e
			);
			expect(error).toBeInstanceOf(SendError);
			return error as SendError;
		}

		it('[C1] declares its capabilities, the same figures the browser reads from the platform facts', () => {
			expect(PLATFORMS).toContain(connector.platform);
			const facts = PLATFORM_FACTS[connector.platform];
			for (const key of ['maxTextLength', 'maxTextBytes', 'replyWindowHours', 'extendedReplyWindowHours', 'attachments', 'echoes', 'orderLookup', 'ackWithinMs'] as const) {
				expect(capabilities[key], key).toEqual(facts[key]);
			}
			expect(Number.isInteger(capabilities.maxTextLength) && capabilities.maxTextLength > 0).toBe(true);
			if (capabilities.replyWindowHours !== null) expect(capabilities.replyWindowHours).toBeGreaterThan(0);
			if (capabilities.extendedReplyWindowHours !== undefined) expect(capabilities.extendedReplyWindowHours).toBeGreaterThan(capabilities.replyWindowHours ?? 0);
			expect(capabilities.ackWithinMs).toBeGreaterThan(0);
			expect(connector.orders !== undefined).toBe(capabilities.orderLookup.length > 0);
		});

		it('[C2] its credential schema accepts real credentials and rejects missing ones', () => {
			expect(connector.credentialSchema.safeParse(harness.credentials).success).toBe(true);
			expect(connector.credentialSchema.safeParse({}).success).toBe(false);
		});

		it('[C3] verify rejects a tampered body', () => {
			const webhook = harness.webhook({ kind: 'message', text: 'pay 100 baht' });
			const tampered = Buffer.from(webhook.body.toString('utf8').replace('pay 100 baht', 'pay 900 baht'));
			expect(tampered.equals(webhook.body)).toBe(false);
			expect(connector.verify(request({ body: tampered, headers: webhook.headers }), harness.credentials)).toBe(false);
		});

		it('[C4] verify rejects a body signed with another secret', () => {
			const webhook = harness.webhook({ kind: 'message', text: 'hi' }, { credentials: harness.otherCredentials });
			expect(connector.verify(request(webhook), harness.credentials)).toBe(false);
		});

		it('[C5] verify rejects a request without the signature header, or with a cut or empty one', () => {
			const webhook = harness.webhook({ kind: 'message', text: 'hi' });
			const bare = signatureless(webhook.headers);
			expect(connector.verify(request({ body: webhook.body, headers: bare }), harness.credentials)).toBe(false);
			const signatures = Object.entries(webhook.headers).filter(([key]) => !(key in bare));
			const cut = Object.fromEntries(signatures.map(([key, value]) => [key, value.slice(0, -4)]));
			const empty = Object.fromEntries(signatures.map(([key]) => [key, '']));
			expect(connector.verify(request({ body: webhook.body, headers: { ...bare, ...cut } }), harness.credentials)).toBe(false);
			expect(connector.verify(request({ body: webhook.body, headers: { ...bare, ...empty } }), harness.credentials)).toBe(false);
		});

		it('[C6] verify accepts a body signed by the platform, with plain or Fetch headers', () => {
			const webhook = harness.webhook({ kind: 'message', text: 'hi' });
			expect(connector.verify(request(webhook), harness.credentials)).toBe(true);
			expect(connector.verify({ ...request(webhook), headers: new Headers(webhook.headers) }, harness.credentials)).toBe(true);
		});

		it('[C7] verify checks the raw bytes: the same JSON re-serialized with other whitespace fails', () => {
			const webhook = harness.webhook({ kind: 'message', text: 'hi' });
			const reserialized = Buffer.from(JSON.stringify(JSON.parse(webhook.body.toString('utf8')), null, 2));
			expect(connector.verify(request({ body: reserialized, headers: webhook.headers }), harness.credentials)).toBe(false);
		});

		it('[C8] parse throws MalformedPayloadError for a body that is not JSON', () => {
			for (const raw of [Buffer.from('{"object": "page", '), Buffer.from([0xff, 0xfe, 0x7b, 0x7d]), Buffer.alloc(0)]) {
				expect(() => connector.parse(raw)).toThrow(MalformedPayloadError);
				expect(() => connector.parse(raw)).toThrow(expect.objectContaining({ reason: 'invalid_json' }));
			}
		});

		it('[C9] parse throws MalformedPayloadError for JSON of the wrong shape', () => {
			for (const json of ['{"hello":"world"}', '[]', 'null', '"text"']) {
				expect(() => connector.parse(Buffer.from(json))).toThrow(expect.objectContaining({ name: 'MalformedPayloadError', reason: 'invalid_shape' }));
			}
		});

		it('[C10] parse skips event kinds it does not handle, without error', () => {
			expect(connector.parse(harness.webhook({ kind: 'unknown' }).body)).toEqual([]);
		});

		it('[C11] parse normalizes a customer text message', () => {
			const sentAt = new Date('2024-06-01T10:20:30Z');
			const event = parseOne({ kind: 'message', text: 'Is the blue shirt in stock?', sentAt });
			expect(event.from).toBe('customer');
			expect(event.text).toBe('Is the blue shirt in stock?');
			expect(event.attachments).toEqual([]);
			expect(event.eventId).not.toBe('');
			expect(event.platformMessageId).not.toBe('');
			expect(event.threadId).not.toBe('');
			expect(event.customer?.externalId).toBeTruthy();
			expect(event.sentAt.getTime()).toBe(sentAt.getTime());
		});

		it('[C12] a redelivered event yields the same eventId, a different event another', () => {
			const event = { kind: 'message', text: 'hi', messageId: 'mid-contract-42', eventId: '01HCONTRACT42' } as const;
			const first = connector.parse(harness.webhook(event).body);
			const again = connector.parse(harness.webhook(event, { redelivery: true }).body);
			const other = connector.parse(harness.webhook({ kind: 'message', text: 'hi' }).body);
			expect(again.map((e) => e.eventId)).toEqual(first.map((e) => e.eventId));
			expect(other[0]!.eventId).not.toBe(first[0]!.eventId);
		});

		it('[C13] the seller’s own messages are never taken for the customer’s', (context) => {
			if (!capabilities.echoes) return context.skip();
			const events = messages(connector.parse(harness.webhook({ kind: 'message', text: 'Thanks for your order!', fromSeller: true }).body));
			expect(events).toHaveLength(1);
			expect(events[0]!.from).toBe('seller');
			const customerSide = parseOne({ kind: 'message', text: 'hi' });
			if (events[0]!.customer) expect(events[0]!.customer.externalId).toBe(customerSide.customer!.externalId);
		});

		it('[C14] Thai text round-trips through parse and send', async () => {
			expect(parseOne({ kind: 'message', text: harness.thaiText }).text).toBe(harness.thaiText);
			await connector.send(replyTo(harness.thaiText), ctx());
			const received = fake.requests.at(-1)!;
			expect(received.body + JSON.stringify(received.form)).toContain(harness.thaiText);
		});

		it('[C15] an image attachment is normalized with its kind and URL', (context) => {
			if (!capabilities.attachments) return context.skip();
			const event = parseOne({ kind: 'message', imageUrl: IMAGE_URL });
			expect(event.attachments).toEqual([expect.objectContaining({ kind: 'image', url: IMAGE_URL })]);
		});

		it('[C16] send makes a request the platform accepts and returns its message id', async () => {
			const result = await connector.send(replyTo('Yes, it is in stock.'), ctx());
			expect(result.platformMessageId).not.toBe('');
			expect(fake.requests).toHaveLength(1);
			expect(fake.requests[0]!.status).toBe(200);
		});

		it('[C17] send turns a 5xx into a retryable SendError', async () => {
			fake.failNext(1, 503);
			const error = await sendError(connector.send(replyTo('hello'), ctx()));
			expect(error).toMatchObject({ reason: 'retryable', status: 503 });
		});

		it('[C18] send turns rate limiting (429) into a retryable SendError', async () => {
			fake.failNext(1, 429);
			expect(await sendError(connector.send(replyTo('hello'), ctx()))).toMatchObject({ reason: 'retryable', status: 429 });
		});

		it('[C19] send turns a 4xx into a permanent SendError carrying the platform’s reason', async () => {
			fake.failNext(1, 400);
			const error = await sendError(connector.send(replyTo('hello'), ctx()));
			expect(error.reason).toBe('permanent');
			expect(error.message.length).toBeGreaterThan(0);
			const reasons = stringLeaves(fake.requests.at(-1)!.response).filter((leaf) => leaf.length > 12);
			expect(reasons.some((reason) => error.message.includes(reason))).toBe(true);
		});

		it('[C20] text over the declared limit is rejected before any request', async () => {
			const tooLong = 'a'.repeat(capabilities.maxTextLength + 1);
			expect(await sendError(connector.send(replyTo(tooLong), ctx()))).toMatchObject({ reason: 'permanent', code: 'text_too_long' });
			if (capabilities.maxTextBytes !== undefined) {
				const thai = 'ก'.repeat(Math.floor(capabilities.maxTextBytes / 3) + 1);
				expect(await sendError(connector.send(replyTo(thai), ctx()))).toMatchObject({ code: 'text_too_long' });
			}
			expect(fake.requests).toHaveLength(0);
		});

		it('[C21] network failures and timeouts are retryable', async () => {
			fake.failNext(1, 'timeout');
			expect(await sendError(connector.send(replyTo('hello'), ctx({ timeoutMs: 200 })))).toMatchObject({ reason: 'retryable', code: 'timeout' });
			const reply = replyTo('hello');
			await fake.close();
			expect(await sendError(connector.send(reply, ctx()))).toMatchObject({ reason: 'retryable', code: 'network' });
		});

		it('[C22] the reply window is enforced from the capabilities, before any request', async () => {
			const now = new Date();
			const hours = capabilities.extendedReplyWindowHours ?? capabilities.replyWindowHours;
			expect(connector.checkReplyWindow(new Date(now.getTime() - HOUR), now)).toEqual({ ok: true, mode: 'standard' });
			if (hours === null) {
				expect(connector.checkReplyWindow(new Date(now.getTime() - 365 * 24 * HOUR), now).ok).toBe(true);
				return;
			}
			const tooOld = new Date(now.getTime() - (hours + 1) * HOUR);
			expect(connector.checkReplyWindow(tooOld, now)).toMatchObject({ ok: false, reason: 'window_closed' });
			expect(await sendError(connector.send(replyTo('hello', tooOld), ctx()))).toMatchObject({ reason: 'permanent', code: 'window_closed' });
			expect(fake.requests).toHaveLength(0);
		});

		it('[C23] orders are normalized, or not offered at all', async (context) => {
			if (!connector.orders) return context.skip();
			const [first, second] = harness.orders;
			const [order] = await connector.orders({ orderIds: [first!.id] }, ctx());
			expect(order).toMatchObject({ externalOrderId: first!.id, currency: 'THB', total: '748.50', placedAt: first!.placedAt, customerId: first!.customerId });
			expect(order!.status.toUpperCase()).toBe(first!.status);
			expect([...order!.items].sort((a, b) => a.name.localeCompare(b.name))).toEqual([
				{ name: 'กระเป๋าผ้า', quantity: 1, price: '350.50' },
				{ name: 'เสื้อยืดคอกลม', quantity: 2, price: '199.00' }
			]);
			expect(order!.tracking.carrier).toBe(first!.tracking!.carrier);
			if (order!.tracking.number) expect(order!.tracking.number).toBe(first!.tracking!.number);
			if (capabilities.orderLookup.includes('customer')) {
				const mine = await connector.orders({ customerId: second!.customerId }, ctx());
				expect(mine.map((o) => o.externalOrderId)).toEqual([second!.id]);
			}
		});

		it('[C24] order status pushes become order updates with stable ids', (context) => {
			if (capabilities.orderLookup.length === 0) return context.skip();
			const push = { kind: 'order_update', orderId: '240601ABCDEF01', status: 'SHIPPED', updatedAt: new Date('2024-06-03T00:00:00Z') } as const;
			const [event] = connector.parse(harness.webhook(push).body);
			expect(event).toMatchObject({ type: 'order_update', orderId: push.orderId, status: 'SHIPPED', updatedAt: push.updatedAt });
			expect(connector.parse(harness.webhook(push, { redelivery: true }).body)[0]!.eventId).toBe(event!.eventId);
		});

		it('[C25] a request signed with the wrong secret is refused by the platform as permanent', async () => {
			const error = await sendError(connector.send(replyTo('hello'), ctx({ credentials: harness.otherCredentials })));
			expect(error.reason).toBe('permanent');
			expect(fake.requests.at(-1)!.status).toBeGreaterThanOrEqual(200);
		});

		it('[C26] errors never carry tokens, secrets or the message text', async () => {
			const text = 'my home address is 99 Sukhumvit';
			fake.failNext(1, 400);
			const error = await sendError(connector.send(replyTo(text), ctx()));
			const visible = `${error.message} ${error.code} ${String(error)} ${JSON.stringify(error)}`;
			expect(visible).not.toContain(text);
			for (const secret of Object.values(harness.credentials as Record<string, string>)) {
				if (secret.length > 8) expect(visible).not.toContain(secret);
			}
		});

		it('[C27] revoke, where the platform offers it, is accepted', async (context) => {
			if (!connector.revoke) return context.skip();
			await connector.revoke(ctx());
			expect(fake.requests.at(-1)!.status).toBe(200);
		});

		it('[C29] accountIds names the account a webhook is for, and every parsed event carries it', () => {
			const own = harness.webhook({ kind: 'message', text: 'hi' });
			const [ownAccount] = connector.accountIds(own.body);
			expect(ownAccount).toBeTruthy();
			for (const event of connector.parse(own.body)) expect(event.accountId).toBe(ownAccount);
			const other = harness.webhook({ kind: 'message', text: 'hi' }, { accountId: '1777000111' });
			expect(connector.accountIds(other.body)).toEqual(['1777000111']);
			const events = connector.parse(other.body);
			expect(events.length).toBeGreaterThan(0);
			for (const event of events) expect(event.accountId).toBe('1777000111');
			for (const raw of ['not json', '[]', 'null', '{"hello":"world"}']) expect(connector.accountIds(Buffer.from(raw))).toEqual([]);
		});

		it('[C28] the subscription handshake, where the platform has one, echoes the challenge only for our token', (context) => {
			if (!connector.handshake) return context.skip();
			const config = { ...fake.config, verifyToken: 'verify-me-please' };
			const url = (token: string) => new URL(`${harness.webhookUrl}?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1158201444`);
			expect(connector.handshake(url('verify-me-please'), config)).toEqual({ status: 200, body: '1158201444' });
			expect(connector.handshake(url('guess'), config)).toEqual({ status: 403, body: '' });
			expect(connector.handshake(new URL(harness.webhookUrl), config)).toBeNull();
		});

		/** Follows the fake's consent page to the callback, as the seller's browser would. */
		async function authorize(redirectUri: string, state: string): Promise<URLSearchParams> {
			const auth = connector.authorization!;
			const authCtx = { app: fake.app!, apiBaseUrl: fake.baseUrl, authBaseUrl: fake.authBaseUrl };
			fake.tokens.redirectUri = redirectUri;
			const page = await fetch(auth.authorizeUrl({ redirectUri, state }, authCtx));
			expect(page.status).toBe(200);
			const href = /id="authorize" href="([^"]+)"/.exec(await page.text())?.[1]?.replaceAll('&amp;', '&');
			expect(href).toBeDefined();
			const back = new URL(href!);
			expect(back.origin + back.pathname).toBe(redirectUri);
			return back.searchParams;
		}
		const authCtx = () => ({ app: fake.app!, apiBaseUrl: fake.baseUrl, authBaseUrl: fake.authBaseUrl });

		it('[C34] the authorization flow, where the platform has one, returns the state and exchanges the code once for working credentials', async (context) => {
			expect(Boolean(connector.authorization)).toBe(capabilities.authorizes);
			if (!connector.authorization) return context.skip();
			const redirectUri = 'https://chatmai.example/connect/callback';
			const callback = await authorize(redirectUri, 'state-123');
			expect(callback.get('state')).toBe('state-123');
			const accounts = await connector.authorization.exchange(callback, redirectUri, authCtx());
			const mine = accounts.find((a) => a.externalId === fake.config.externalId);
			expect(mine, 'the fake account is among the granted ones').toBeDefined();
			expect(mine!.name.length).toBeGreaterThan(0);
			expect(connector.credentialSchema.safeParse(mine!.credentials).success).toBe(true);
			const identity = await connector.identify({ config: { ...fake.config, settings: { ...fake.config.settings, ...mine!.settings } }, credentials: mine!.credentials });
			expect(identity.externalId).toBe(fake.config.externalId);
			const reused = await sendError(connector.authorization.exchange(callback, redirectUri, authCtx()));
			expect(reused.reason).toBe('permanent');
			expect(reused.message.length).toBeGreaterThan(0);
		});

		it('[C35] identify names the account the credentials belong to, and refuses other credentials with the platform’s reason', async () => {
			const identity = await connector.identify(ctx());
			expect(identity.externalId).toBe(fake.config.externalId);
			expect(identity.name.length).toBeGreaterThan(0);
			const refused = await sendError(connector.identify(ctx({ credentials: harness.otherCredentials })));
			expect(refused.reason).toBe('permanent');
			expect(refused.message).not.toMatch(/answered HTTP/);
		});

		it('[C36] refresh, where tokens expire, renews the pair once and refuses a used or rejected refresh token as refresh_rejected', async (context) => {
			expect(Boolean(connector.refresh)).toBe(capabilities.refreshesTokens);
			if (!connector.refresh || !connector.authorization) return context.skip();
			const redirectUri = 'https://chatmai.example/connect/callback';
			const [granted] = (await connector.authorization.exchange(await authorize(redirectUri, 's'), redirectUri, authCtx())).filter(
				(a) => a.externalId === fake.config.externalId
			);
			const config = { ...fake.config, settings: { ...fake.config.settings, ...granted!.settings }, authBaseUrl: fake.authBaseUrl };
			expect(granted!.tokens.accessTokenExpiresAt!.getTime()).toBeGreaterThan(Date.now());
			const renewed = await connector.refresh({ config, credentials: granted!.credentials });
			const before = granted!.credentials as { accessToken: string };
			expect((renewed.credentials as { accessToken: string }).accessToken).not.toBe(before.accessToken);
			expect(renewed.tokens.accessTokenExpiresAt!.getTime()).toBeGreaterThan(Date.now());
			expect((await connector.identify({ config, credentials: renewed.credentials })).externalId).toBe(fake.config.externalId);
			const used = await sendError(connector.refresh({ config, credentials: granted!.credentials }));
			expect([used.reason, used.code]).toEqual(['permanent', 'refresh_rejected']);
			fake.tokens.rejectRefresh = true;
			const rejected = await sendError(connector.refresh({ config, credentials: renewed.credentials }));
			expect([rejected.reason, rejected.code]).toEqual(['permanent', 'refresh_rejected']);
			fake.failNext(1, 503);
			fake.tokens.rejectRefresh = false;
			expect((await sendError(connector.refresh({ config, credentials: renewed.credentials }))).reason).toBe('retryable');
		});

		it('[C38] subscribe, where the platform asks the app to subscribe an account, is accepted', async (context) => {
			if (!connector.subscribe) return context.skip();
			await connector.subscribe(ctx());
			expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', status: 200 });
			const refused = await sendError(connector.subscribe(ctx({ credentials: harness.otherCredentials })));
			expect(refused.reason).toBe('permanent');
		});

		it('[C37] customer profiles, where the platform offers them, give a name and picture', async (context) => {
			if (!connector.profile) return context.skip();
			const customer = parseOne({ kind: 'message', text: 'Hello' }).customer!.externalId;
			const profile = await connector.profile(customer, ctx());
			expect(profile.name?.length).toBeGreaterThan(0);
			expect(profile.pictureUrl).toMatch(/^https:\/\//);
		});
	});
}

/** What the routing rules need: a real server with its database, and accounts to connect on it. */
export interface RoutingHarness {
	platform: Platform;
	/** Connects a fresh account of the platform, in a workspace of its own, with the app's shared secret. */
	connectAccount(): Promise<{ id: string; externalId: string; webhookUrl: string }>;
	/** A fresh account id that nothing connects. */
	unknownAccountId(): string;
	/** `/webhooks/<platform>` on the server. */
	appWebhookUrl: string;
	/** `/webhooks/<platform>/<connectionId>`: LINE's per-channel URL, the deprecated one of the others. */
	connectionWebhookUrl(connectionId: string): string;
	/** A customer message for `accountId` with this platform message id, signed for `url`. */
	webhook(accountId: string, messageId: string, url: string): SignedWebhook;
	deliver(url: string, webhook: SignedWebhook): Promise<Response>;
	/** The connections an event with this platform message id was stored under. */
	storedUnder(messageId: string): Promise<string[]>;
	/** The route's count of events dropped for an account with no active connection. */
	unknownAccountDrops(): Promise<number>;
	setup?(): Promise<void>;
	teardown?(): Promise<void>;
}

/**
 * The routing rules (SPEC.md [C30]–[C32]): one webhook URL per platform app, every event filed under
 * the connection of the account the payload names, never under the URL's.
 */
export function routingContractSuite(harness: RoutingHarness): void {
	const messageId = (label: string) => `${label}${Date.now()}${Math.floor(Math.random() * 1e6)}`;

	describe(`${harness.platform} routing contract`, () => {
		let a: { id: string; externalId: string; webhookUrl: string };
		let b: { id: string; externalId: string; webhookUrl: string };
		beforeAll(async () => {
			await harness.setup?.();
			a = await harness.connectAccount();
			b = await harness.connectAccount();
		});
		afterAll(async () => {
			await harness.teardown?.();
		});

		it('[C30] an event for account B posted to the app endpoint is filed under B', async () => {
			const id = messageId('c30-');
			const res = await harness.deliver(harness.appWebhookUrl, harness.webhook(b.externalId, id, harness.appWebhookUrl));
			expect(res.status).toBe(200);
			expect(await harness.storedUnder(id)).toEqual([b.id]);
		});

		it("[C31] an event for account B posted to account A's per-connection URL is still filed under B, never A", async () => {
			const id = messageId('c31-');
			const url = harness.connectionWebhookUrl(a.id);
			const res = await harness.deliver(url, harness.webhook(b.externalId, id, url));
			expect(res.status).toBe(200);
			expect(await harness.storedUnder(id)).toEqual([b.id]);
		});

		it('[C32] an event for an account with no active connection is acknowledged, stored nowhere, and counted', async () => {
			const id = messageId('c32-');
			const before = await harness.unknownAccountDrops();
			for (const url of [harness.appWebhookUrl, harness.connectionWebhookUrl(a.id)]) {
				const res = await harness.deliver(url, harness.webhook(harness.unknownAccountId(), id, url));
				expect(res.status).toBe(200);
			}
			expect(await harness.storedUnder(id)).toEqual([]);
			expect(await harness.unknownAccountDrops()).toBe(before + 2);
		});
	});
}

/**
 * Meta's Messenger Platform, shared by the Facebook Page and Instagram connectors.
 *
 * Docs implemented here:
 * - Webhooks, GET handshake and X-Hub-Signature-256: https://developers.facebook.com/docs/graph-api/webhooks/getting-started
 * - Messenger webhook events:  https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/messages
 * - Message echoes:            https://developers.facebook.com/docs/messenger-platform/reference/webhook-events/message-echoes
 * - Send API:                  https://developers.facebook.com/docs/messenger-platform/reference/send-api/
 * - Messaging types and tags:  https://developers.facebook.com/docs/messenger-platform/send-messages/message-tags
 * - Instagram messaging:       https://developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/messaging-api
 * - Error codes:               https://developers.facebook.com/docs/graph-api/guides/error-handling
 * - App secret proof:          https://developers.facebook.com/docs/graph-api/securing-requests
 * - Unsubscribe a Page:        https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps
 */
import { z } from 'zod';
import { hmacSha256, headerValue, signatureMatches } from './hmac.ts';
import { apiUrl, callApi, platformFailure } from './http.ts';
import { epochToDate, parsePayload, readAccountIds, validate } from './payload.ts';
import { assertSendableText, assertWindowOpen, readSettings } from './policy.ts';
import { SendError } from './errors.ts';
import type {
	AccountIdentity,
	Attachment,
	Authorization,
	AuthorizationContext,
	CallContext,
	CustomerProfile,
	GrantedAccount,
	Capabilities,
	ConnectionConfig,
	HandshakeResponse,
	MessageEvent,
	OutgoingReply,
	Platform,
	SendResult,
	WebhookRequest
} from '../types.ts';

export const META_API_BASE = 'https://graph.facebook.com';
export const DEFAULT_GRAPH_API_VERSION = 'v21.0';
export const META_SIGNATURE_HEADER = 'x-hub-signature-256';

export const metaCredentialSchema = z.object({
	/** App secret: signs webhooks and `appsecret_proof`. */
	appSecret: z.string().min(1),
	/** Page access token with `pages_messaging` (and `instagram_manage_messages` for Instagram). */
	pageAccessToken: z.string().min(1)
});
export type MetaCredentials = z.infer<typeof metaCredentialSchema>;

const metaSettingsSchema = z.object({
	graphApiVersion: z.string().regex(/^v\d+\.\d+$/).default(DEFAULT_GRAPH_API_VERSION),
	/** The Page that sends; Instagram sends through its linked Page (`me` with a Page token). */
	pageId: z.string().min(1).optional()
});

/** Codes Meta documents as throttling or transient: https://developers.facebook.com/docs/graph-api/overview/rate-limiting */
const RETRYABLE_META_CODES = new Set(['1', '2', '4', '17', '32', '613', '1200']);

/** X-Hub-Signature-256: `sha256=` + hex HMAC-SHA256(app secret, raw body). */
export function verifyMetaSignature(request: WebhookRequest, credentials: MetaCredentials): boolean {
	const header = headerValue(request.headers, META_SIGNATURE_HEADER);
	if (!header?.startsWith('sha256=')) return false;
	const expected = hmacSha256(credentials.appSecret, [request.rawBody], 'hex');
	return signatureMatches(header.slice('sha256='.length), expected, 'hex');
}

/** GET ?hub.mode=subscribe&hub.verify_token=…&hub.challenge=… → echo the challenge when the token matches. */
export function metaHandshake(url: URL, config: ConnectionConfig): HandshakeResponse | null {
	const mode = url.searchParams.get('hub.mode');
	if (mode === null) return null;
	const token = url.searchParams.get('hub.verify_token') ?? '';
	const challenge = url.searchParams.get('hub.challenge') ?? '';
	const tokenOk = config.verifyToken !== undefined && signatureMatches(token, config.verifyToken, 'base64');
	return mode === 'subscribe' && tokenOk ? { status: 200, body: challenge } : { status: 403, body: '' };
}

const envelopeSchema = (object: 'page' | 'instagram') =>
	z.object({
		object: z.literal(object),
		entry: z.array(z.object({ id: z.string().min(1), messaging: z.array(z.looseObject({})).optional() }))
	});

const messagingSchema = z.object({
	sender: z.object({ id: z.string().min(1) }),
	recipient: z.object({ id: z.string().min(1) }),
	timestamp: z.number(),
	message: z.object({
		mid: z.string().min(1),
		text: z.string().optional(),
		is_echo: z.boolean().optional(),
		is_deleted: z.boolean().optional(),
		attachments: z
			.array(z.object({ type: z.string(), payload: z.looseObject({ url: z.string().optional() }).nullish() }))
			.optional()
	})
});

const ATTACHMENT_KINDS: Record<string, Attachment['kind']> = { image: 'image', video: 'video', audio: 'audio', file: 'file' };

/** `entry[].id`: the Page (or Instagram account) each entry of a batch is for; one batch can carry several. */
export function metaAccountIds(rawBody: Uint8Array): string[] {
	return readAccountIds(rawBody, (json) => (Array.isArray(json.entry) ? json.entry.map((entry) => (entry as { id?: unknown } | null)?.id) : []));
}

/** `entry[].messaging[]` items with a `message` become events; delivery, read, postback, reactions are skipped. */
export function parseMetaWebhook(rawBody: Uint8Array, object: 'page' | 'instagram'): MessageEvent[] {
	const body = parsePayload(rawBody, envelopeSchema(object), `${object} webhook`);
	const events: MessageEvent[] = [];
	for (const entry of body.entry) {
		for (const item of entry.messaging ?? []) {
			if (!('message' in item)) continue;
			const messaging = validate(messagingSchema, item, `${object} messaging event`);
			if (messaging.message.is_deleted) continue;
			events.push(toMessageEvent(entry.id, messaging));
		}
	}
	return events;
}

function toMessageEvent(accountId: string, { sender, recipient, timestamp, message }: z.infer<typeof messagingSchema>): MessageEvent {
	// An echo is the Page's own message (ours, or sent from Meta Business Suite): the customer is the recipient.
	const fromSeller = message.is_echo === true;
	const customerId = fromSeller ? recipient.id : sender.id;
	const attachments: Attachment[] = [];
	for (const attachment of message.attachments ?? []) {
		const url = attachment.payload?.url;
		if (url) attachments.push({ kind: ATTACHMENT_KINDS[attachment.type] ?? 'other', url });
	}
	return {
		type: 'message',
		accountId,
		eventId: `msg:${message.mid}`,
		platformMessageId: message.mid,
		threadId: customerId,
		from: fromSeller ? 'seller' : 'customer',
		customer: { externalId: customerId },
		text: message.text ?? '',
		attachments,
		sentAt: epochToDate(timestamp)
	};
}

export interface MetaApiOptions {
	platform: Platform;
	capabilities: Capabilities;
	/** The Graph node that sends for this connection (`/{node}/messages`). */
	sendingNode(config: ConnectionConfig, settings: { pageId?: string }): string;
}

function graphUrl(ctx: CallContext<MetaCredentials>, node: string, edge: string): URL {
	const settings = readSettings(metaSettingsSchema, ctx.config.settings);
	const url = apiUrl(ctx.config.apiBaseUrl ?? META_API_BASE, `/${settings.graphApiVersion}/${encodeURIComponent(node)}/${edge}`);
	url.searchParams.set('access_token', ctx.credentials.pageAccessToken);
	url.searchParams.set('appsecret_proof', hmacSha256(ctx.credentials.appSecret, [ctx.credentials.pageAccessToken], 'hex'));
	return url;
}

function metaFailure(platform: Platform, status: number, json: unknown) {
	const error = (json as { error?: { message?: string; code?: number } } | undefined)?.error;
	return platformFailure({ status, code: error?.code, message: error?.message, retryableCodes: RETRYABLE_META_CODES, platform });
}

/** Send API: RESPONSE inside 24 h, MESSAGE_TAG + HUMAN_AGENT up to 7 days (the app needs Human Agent access). */
export async function sendMetaMessage(options: MetaApiOptions, reply: OutgoingReply, ctx: CallContext<MetaCredentials>): Promise<SendResult> {
	assertSendableText(options.capabilities, reply.text);
	const mode = assertWindowOpen(options.capabilities, reply.lastCustomerMessageAt, ctx.now?.() ?? new Date());
	const node = options.sendingNode(ctx.config, readSettings(metaSettingsSchema, ctx.config.settings));
	const body = {
		recipient: { id: reply.customerId },
		...(mode === 'standard' ? { messaging_type: 'RESPONSE' } : { messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' }),
		message: { text: reply.text }
	};
	const response = await callApi(ctx, {
		method: 'POST',
		url: graphUrl(ctx, node, 'messages'),
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify(body)
	});
	const messageId = (response.json as { message_id?: unknown } | undefined)?.message_id;
	if (response.status === 200 && typeof messageId === 'string') return { platformMessageId: messageId };
	throw metaFailure(options.platform, response.status, response.json);
}

/** DELETE /{page}/subscribed_apps: stops webhooks for this Page. */
export async function revokeMetaSubscription(options: MetaApiOptions, ctx: CallContext<MetaCredentials>): Promise<void> {
	const node = options.sendingNode(ctx.config, readSettings(metaSettingsSchema, ctx.config.settings));
	const response = await callApi(ctx, { method: 'DELETE', url: graphUrl(ctx, node, 'subscribed_apps') });
	if (response.status === 200 && (response.json as { success?: unknown } | undefined)?.success === true) return;
	throw metaFailure(options.platform, response.status, response.json);
}

// ---------------------------------------------------------------------------------------------------------------
// Facebook Login for Pages, identity and customer profiles.
// - Login dialog and code exchange: https://developers.facebook.com/docs/facebook-login/guides/advanced/manual-flow
// - Long-lived tokens:              https://developers.facebook.com/docs/facebook-login/guides/access-tokens/get-long-lived
//   (a Page token taken with a long-lived user token has no expiry)
// - Pages of the user:              https://developers.facebook.com/docs/graph-api/reference/user/accounts
// - Subscribe a Page to the app:    https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps
// - Instagram account of a Page:    https://developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/get-started
// - User profile (Messenger):       https://developers.facebook.com/docs/messenger-platform/identity/user-profile
// - User profile (Instagram):       https://developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/messaging-api/user-profile
// ---------------------------------------------------------------------------------------------------------------

export const META_LOGIN_BASE = 'https://www.facebook.com';
const META_LOGIN_SCOPES = {
	facebook: ['pages_show_list', 'pages_messaging', 'pages_manage_metadata', 'pages_read_engagement'],
	instagram: ['pages_show_list', 'pages_manage_metadata', 'instagram_basic', 'instagram_manage_messages']
} as const;

const pagesSchema = z.object({
	data: z.array(
		z.object({
			id: z.string(),
			name: z.string(),
			access_token: z.string(),
			instagram_business_account: z.object({ id: z.string(), username: z.string().optional() }).optional()
		})
	)
});

function graphPath(version: string, path: string, base: string | undefined, query: Record<string, string>): URL {
	const url = apiUrl(base ?? META_API_BASE, `/${version}${path}`);
	url.search = new URLSearchParams(query).toString();
	return url;
}

async function graphGet(ctx: { fetch?: typeof fetch; timeoutMs?: number }, platform: Platform, url: URL): Promise<Record<string, unknown>> {
	const response = await callApi(ctx, { method: 'GET', url });
	if (response.status === 200 && response.json && typeof response.json === 'object') return response.json as Record<string, unknown>;
	throw metaFailure(platform, response.status, response.json);
}

/** Facebook Login: the dialog, then code → user token → long-lived user token → the Pages the user granted. */
export function metaAuthorization(platform: 'facebook' | 'instagram'): Authorization<MetaCredentials> {
	return {
		authorizeUrl({ redirectUri, state }, ctx) {
			const url = apiUrl(ctx.authBaseUrl ?? META_LOGIN_BASE, `/${DEFAULT_GRAPH_API_VERSION}/dialog/oauth`);
			url.search = new URLSearchParams({
				client_id: ctx.app.id,
				redirect_uri: redirectUri,
				state,
				response_type: 'code',
				scope: META_LOGIN_SCOPES[platform].join(',')
			}).toString();
			return url;
		},
		async exchange(callback, redirectUri, ctx: AuthorizationContext): Promise<GrantedAccount<MetaCredentials>[]> {
			const code = callback.get('code');
			if (!code) throw new SendError('permanent', callback.get('error_description') ?? 'Facebook did not return a code', { code: callback.get('error') ?? 'missing_code' });
			const version = DEFAULT_GRAPH_API_VERSION;
			const app = { client_id: ctx.app.id, client_secret: ctx.app.secret };
			const short = await graphGet(ctx, platform, graphPath(version, '/oauth/access_token', ctx.apiBaseUrl, { ...app, redirect_uri: redirectUri, code }));
			const long = await graphGet(
				ctx,
				platform,
				graphPath(version, '/oauth/access_token', ctx.apiBaseUrl, { ...app, grant_type: 'fb_exchange_token', fb_exchange_token: String(short.access_token) })
			);
			const userToken = String(long.access_token);
			const pages = pagesSchema.safeParse(
				await graphGet(
					ctx,
					platform,
					graphPath(version, '/me/accounts', ctx.apiBaseUrl, {
						fields: 'id,name,access_token,instagram_business_account{id,username}',
						access_token: userToken,
						appsecret_proof: hmacSha256(ctx.app.secret, [userToken], 'hex')
					})
				)
			);
			if (!pages.success) throw new SendError('permanent', 'Facebook answered the Page list in an unknown shape', { code: 'invalid_shape' });
			const accounts: GrantedAccount<MetaCredentials>[] = [];
			for (const page of pages.data.data) {
				const credentials = { appSecret: ctx.app.secret, pageAccessToken: page.access_token };
				const tokens = { accessTokenExpiresAt: null, refreshTokenExpiresAt: null };
				if (platform === 'instagram' && !page.instagram_business_account) continue;
				if (platform === 'facebook') {
					accounts.push({ externalId: page.id, name: page.name, credentials, settings: { graphApiVersion: version }, tokens });
				} else if (page.instagram_business_account) {
					const ig = page.instagram_business_account;
					accounts.push({ externalId: ig.id, name: ig.username ?? page.name, credentials, settings: { graphApiVersion: version, pageId: page.id }, tokens });
				}
			}
			if (accounts.length === 0) {
				throw new SendError('permanent', platform === 'facebook' ? 'No Page was granted' : 'No granted Page has an Instagram professional account', { code: 'no_account' });
			}
			return accounts;
		}
	};
}

/** POST /{page}/subscribed_apps: the Page's messages (and its Instagram account's) start reaching the app's webhook. */
export async function subscribeMetaPage(options: MetaApiOptions, ctx: CallContext<MetaCredentials>): Promise<void> {
	const node = options.sendingNode(ctx.config, readSettings(metaSettingsSchema, ctx.config.settings));
	const url = graphUrl(ctx, node, 'subscribed_apps');
	url.searchParams.set('subscribed_fields', options.platform === 'facebook' ? 'messages,message_echoes' : 'messages');
	const response = await callApi(ctx, { method: 'POST', url });
	if (response.status === 200 && (response.json as { success?: unknown } | undefined)?.success === true) return;
	throw metaFailure(options.platform, response.status, response.json);
}

function nodeUrl(ctx: CallContext<MetaCredentials>, node: string, fields: string): URL {
	const settings = readSettings(metaSettingsSchema, ctx.config.settings);
	return graphPath(settings.graphApiVersion, `/${encodeURIComponent(node)}`, ctx.config.apiBaseUrl, {
		fields,
		access_token: ctx.credentials.pageAccessToken,
		appsecret_proof: hmacSha256(ctx.credentials.appSecret, [ctx.credentials.pageAccessToken], 'hex')
	});
}

/** Facebook: the Page the token belongs to (`/me`). Instagram: the professional account linked to that Page. */
export async function identifyMeta(platform: 'facebook' | 'instagram', ctx: CallContext<MetaCredentials>): Promise<AccountIdentity> {
	if (platform === 'facebook') {
		const me = await graphGet(ctx, platform, nodeUrl(ctx, 'me', 'id,name'));
		return { externalId: String(me.id), name: String(me.name ?? me.id) };
	}
	const page = await graphGet(ctx, platform, nodeUrl(ctx, 'me', 'id,name,instagram_business_account{id,username}'));
	const ig = page.instagram_business_account as { id?: unknown; username?: unknown } | undefined;
	if (typeof ig?.id !== 'string') throw new SendError('permanent', 'This Page has no linked Instagram professional account', { code: 'no_account' });
	return { externalId: ig.id, name: typeof ig.username === 'string' ? ig.username : String(page.name ?? ig.id) };
}

/** The customer's name and picture (PSID or IGSID); the platform answers only for people who wrote to the account. */
export async function metaProfile(platform: 'facebook' | 'instagram', customerId: string, ctx: CallContext<MetaCredentials>): Promise<CustomerProfile> {
	const fields = platform === 'facebook' ? 'first_name,last_name,profile_pic' : 'name,username,profile_pic';
	const body = await graphGet(ctx, platform, nodeUrl(ctx, customerId, fields));
	const text = (v: unknown) => (typeof v === 'string' && v.trim() ? v.trim() : undefined);
	const name = platform === 'facebook' ? [text(body.first_name), text(body.last_name)].filter(Boolean).join(' ') || undefined : (text(body.name) ?? text(body.username));
	const pictureUrl = text(body.profile_pic);
	return { ...(name ? { name } : {}), ...(pictureUrl ? { pictureUrl } : {}) };
}

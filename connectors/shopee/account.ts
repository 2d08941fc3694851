/**
 * Shopee shop authorization, token refresh and identity.
 * - Authorization:  https://open.shopee.com/developer-guide/20 (auth_partner → redirect?code=…&shop_id=…)
 * - Get token:      https://open.shopee.com/documents/v2/v2.public.get_access_token?module=104&type=1
 *                   (POST /api/v2/auth/token/get; the access token lives 4 hours, the refresh token 30 days)
 * - Refresh token:  https://open.shopee.com/documents/v2/v2.public.refresh_access_token?module=104&type=1
 *                   (POST /api/v2/auth/access_token/get; each refresh returns a new refresh token)
 * - Shop info:      https://open.shopee.com/documents/v2/v2.shop.get_shop_info?module=92&type=1
 * Public calls sign `partner_id + path + timestamp`; shop calls add the access token and shop id (api.ts).
 */
import { SendError } from '../shared/errors.ts';
import { hmacSha256 } from '../shared/hmac.ts';
import { apiUrl, callApi, platformFailure } from '../shared/http.ts';
import { shopSignature, SHOPEE_API_BASE } from './api.ts';
import type { ShopeeCredentials } from './credentials.ts';
import type {
	AccountIdentity,
	Authorization,
	AuthorizationContext,
	CallContext,
	GrantedAccount,
	RefreshedCredentials,
	TokenLifetimes
} from '../types.ts';

/** Shopee documents the refresh token's lifetime (30 days) but does not return it. */
const REFRESH_TOKEN_DAYS = 30;
const RETRYABLE = new Set(['error_server', 'error_inner', 'error_network', 'error_too_many_request']);

function publicSign(partnerKey: string, partnerId: string, path: string, timestamp: number): string {
	return hmacSha256(partnerKey, [`${partnerId}${path}${timestamp}`], 'hex');
}

function seconds(now: Date): number {
	return Math.floor(now.getTime() / 1000);
}

interface TokenAnswer {
	error?: string;
	message?: string;
	access_token?: string;
	refresh_token?: string;
	expire_in?: number;
}

async function tokenCall(
	base: string,
	options: { fetch?: typeof fetch; timeoutMs?: number; now: Date },
	partnerId: string,
	partnerKey: string,
	path: string,
	body: Record<string, unknown>
): Promise<{ accessToken: string; refreshToken: string; tokens: TokenLifetimes }> {
	const timestamp = seconds(options.now);
	const url = apiUrl(base, path);
	url.search = new URLSearchParams({ partner_id: partnerId, timestamp: String(timestamp), sign: publicSign(partnerKey, partnerId, path, timestamp) }).toString();
	const response = await callApi(options, { method: 'POST', url, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
	const answer = (response.json ?? {}) as TokenAnswer;
	if (response.status === 200 && !answer.error && answer.access_token && answer.refresh_token) {
		return {
			accessToken: answer.access_token,
			refreshToken: answer.refresh_token,
			tokens: {
				accessTokenExpiresAt: new Date(options.now.getTime() + (answer.expire_in ?? 4 * 3600) * 1000),
				refreshTokenExpiresAt: new Date(options.now.getTime() + REFRESH_TOKEN_DAYS * 86_400_000)
			}
		};
	}
	throw platformFailure({ status: response.status, code: answer.error || undefined, message: answer.message, retryableCodes: RETRYABLE, platform: 'Shopee' });
}

export const authorization: Authorization<ShopeeCredentials> = {
	authorizeUrl({ redirectUri, state }, ctx) {
		const path = '/api/v2/shop/auth_partner';
		const timestamp = seconds(ctx.now?.() ?? new Date());
		// Shopee returns to `redirect` as given, adding code and shop_id: the state rides in its query.
		const redirect = new URL(redirectUri);
		redirect.searchParams.set('state', state);
		const url = apiUrl(ctx.authBaseUrl ?? ctx.apiBaseUrl ?? SHOPEE_API_BASE, path);
		url.search = new URLSearchParams({
			partner_id: ctx.app.id,
			timestamp: String(timestamp),
			sign: publicSign(ctx.app.secret, ctx.app.id, path, timestamp),
			redirect: redirect.toString()
		}).toString();
		return url;
	},
	async exchange(callback, _redirectUri, ctx: AuthorizationContext): Promise<GrantedAccount<ShopeeCredentials>[]> {
		const code = callback.get('code');
		const shopId = callback.get('shop_id');
		if (!code || !shopId || !/^\d+$/.test(shopId)) {
			// A main-account authorization (main_account_id) grants many shops; ChatMai connects one shop at a time.
			throw new SendError('permanent', 'Shopee did not return a code and shop id', { code: 'missing_code' });
		}
		const now = ctx.now?.() ?? new Date();
		const base = ctx.apiBaseUrl ?? SHOPEE_API_BASE;
		const granted = await tokenCall(base, { ...ctx, now }, ctx.app.id, ctx.app.secret, '/api/v2/auth/token/get', {
			code,
			shop_id: Number(shopId),
			partner_id: Number(ctx.app.id)
		});
		const credentials: ShopeeCredentials = { partnerId: ctx.app.id, partnerKey: ctx.app.secret, accessToken: granted.accessToken, refreshToken: granted.refreshToken };
		const identity = await identify({ config: { externalId: shopId, webhookUrl: '', apiBaseUrl: ctx.apiBaseUrl, settings: {} }, credentials, fetch: ctx.fetch, now: ctx.now, timeoutMs: ctx.timeoutMs });
		return [{ externalId: shopId, name: identity.name, credentials, settings: {}, tokens: granted.tokens }];
	}
};

export async function refresh(ctx: CallContext<ShopeeCredentials>): Promise<RefreshedCredentials<ShopeeCredentials>> {
	const { credentials } = ctx;
	if (!credentials.refreshToken) throw new SendError('permanent', 'This Shopee connection has no refresh token', { code: 'refresh_rejected' });
	try {
		const granted = await tokenCall(ctx.config.apiBaseUrl ?? SHOPEE_API_BASE, { ...ctx, now: ctx.now?.() ?? new Date() }, credentials.partnerId, credentials.partnerKey, '/api/v2/auth/access_token/get', {
			refresh_token: credentials.refreshToken,
			partner_id: Number(credentials.partnerId),
			shop_id: Number(ctx.config.externalId)
		});
		return { credentials: { ...credentials, accessToken: granted.accessToken, refreshToken: granted.refreshToken }, tokens: granted.tokens };
	} catch (error) {
		if (error instanceof SendError && error.reason === 'permanent') throw new SendError('permanent', error.message, { code: 'refresh_rejected', status: error.status });
		throw error;
	}
}

/** GET /api/v2/shop/get_shop_info: unlike other calls, its fields sit at the top level, not under `response`. */
export async function identify(ctx: CallContext<ShopeeCredentials>): Promise<AccountIdentity> {
	const path = '/api/v2/shop/get_shop_info';
	const timestamp = seconds(ctx.now?.() ?? new Date());
	const shopId = ctx.config.externalId;
	const url = apiUrl(ctx.config.apiBaseUrl ?? SHOPEE_API_BASE, path);
	url.search = new URLSearchParams({
		partner_id: ctx.credentials.partnerId,
		timestamp: String(timestamp),
		access_token: ctx.credentials.accessToken,
		shop_id: shopId,
		sign: shopSignature(ctx.credentials, path, timestamp, shopId)
	}).toString();
	const response = await callApi(ctx, { method: 'GET', url });
	const body = (response.json ?? {}) as { error?: string; message?: string; shop_name?: string };
	if (response.status === 200 && !body.error && typeof body.shop_name === 'string') return { externalId: shopId, name: body.shop_name };
	throw platformFailure({ status: response.status, code: body.error || undefined, message: body.message, retryableCodes: RETRYABLE, platform: 'Shopee' });
}

/**
 * TikTok Shop authorization, token refresh and identity.
 * - Authorization: https://partner.tiktokshop.com/docv2/page/authorization-overview-202407
 *                  (https://services.tiktokshop.com/open/authorize?service_id=…&state=…; the redirect URL is the
 *                  one set for the app in Partner Center, called back with ?code=…&state=…)
 * - Get / refresh token: https://partner.tiktokshop.com/docv2/page/get-access-token (GET auth.tiktok-shops.com
 *                  /api/v2/token/get and /api/v2/token/refresh; `*_expire_in` are Unix times, not durations)
 * - Authorized shops: https://partner.tiktokshop.com/docv2/page/get-authorized-shops-202309
 *                  (GET /authorization/202309/shops: id, name, region, cipher)
 */
import { z } from 'zod';
import { SendError } from '../shared/errors.ts';
import { apiUrl, callApi, platformFailure } from '../shared/http.ts';
import { call } from './api.ts';
import type { TikTokCredentials } from './credentials.ts';
import type { AccountIdentity, Authorization, AuthorizationContext, CallContext, GrantedAccount, RefreshedCredentials, TokenLifetimes } from '../types.ts';

export const TIKTOK_AUTHORIZE_BASE = 'https://services.tiktokshop.com';
export const TIKTOK_TOKEN_BASE = 'https://auth.tiktok-shops.com';
const RETRYABLE = new Set(['36009002', '36009007']);

const shopsSchema = z.object({
	shops: z.array(z.object({ id: z.string(), name: z.string(), region: z.string().optional(), cipher: z.string() })).default([])
});

interface TokenAnswer {
	code?: number;
	message?: string;
	data?: { access_token?: string; access_token_expire_in?: number; refresh_token?: string; refresh_token_expire_in?: number };
}

async function tokenCall(
	ctx: { authBaseUrl?: string; fetch?: typeof fetch; timeoutMs?: number },
	path: '/api/v2/token/get' | '/api/v2/token/refresh',
	params: Record<string, string>
): Promise<{ accessToken: string; refreshToken: string; tokens: TokenLifetimes }> {
	const url = apiUrl(ctx.authBaseUrl ?? TIKTOK_TOKEN_BASE, path);
	url.search = new URLSearchParams(params).toString();
	const response = await callApi(ctx, { method: 'GET', url });
	const answer = (response.json ?? {}) as TokenAnswer;
	const data = answer.data;
	if (response.status === 200 && answer.code === 0 && data?.access_token && data.refresh_token) {
		const at = (unix: number | undefined) => (unix ? new Date(unix * 1000) : null);
		return {
			accessToken: data.access_token,
			refreshToken: data.refresh_token,
			tokens: { accessTokenExpiresAt: at(data.access_token_expire_in), refreshTokenExpiresAt: at(data.refresh_token_expire_in) }
		};
	}
	throw platformFailure({ status: response.status, code: answer.code, message: answer.message, retryableCodes: RETRYABLE, platform: 'TikTok Shop' });
}

async function authorizedShops(ctx: CallContext<TikTokCredentials>) {
	const data = await call(ctx, 'GET', '/authorization/202309/shops', {}, undefined, 'seller');
	const parsed = shopsSchema.safeParse(data ?? {});
	if (!parsed.success) throw new SendError('permanent', 'TikTok Shop answered the shop list in an unknown shape', { code: 'invalid_shape' });
	return parsed.data.shops;
}

export const authorization: Authorization<TikTokCredentials> = {
	authorizeUrl({ state }, ctx) {
		if (!ctx.app.serviceId) throw new SendError('permanent', 'The TikTok Shop app has no service id', { code: 'app_incomplete' });
		const url = apiUrl(ctx.authBaseUrl ?? TIKTOK_AUTHORIZE_BASE, '/open/authorize');
		url.search = new URLSearchParams({ service_id: ctx.app.serviceId, state }).toString();
		return url;
	},
	async exchange(callback, _redirectUri, ctx: AuthorizationContext): Promise<GrantedAccount<TikTokCredentials>[]> {
		const code = callback.get('code');
		if (!code) throw new SendError('permanent', 'TikTok Shop did not return a code', { code: 'missing_code' });
		const granted = await tokenCall(ctx, '/api/v2/token/get', { app_key: ctx.app.id, app_secret: ctx.app.secret, auth_code: code, grant_type: 'authorized_code' });
		const credentials: TikTokCredentials = { appKey: ctx.app.id, appSecret: ctx.app.secret, accessToken: granted.accessToken, refreshToken: granted.refreshToken };
		const shops = await authorizedShops({ config: { externalId: '', webhookUrl: '', apiBaseUrl: ctx.apiBaseUrl, settings: {} }, credentials, fetch: ctx.fetch, now: ctx.now, timeoutMs: ctx.timeoutMs });
		if (shops.length === 0) throw new SendError('permanent', 'TikTok Shop returned no shop for this authorization', { code: 'no_account' });
		return shops.map((shop) => ({ externalId: shop.id, name: shop.name, credentials, settings: { shopCipher: shop.cipher }, tokens: granted.tokens }));
	}
};

export async function refresh(ctx: CallContext<TikTokCredentials>): Promise<RefreshedCredentials<TikTokCredentials>> {
	const { credentials } = ctx;
	if (!credentials.refreshToken) throw new SendError('permanent', 'This TikTok Shop connection has no refresh token', { code: 'refresh_rejected' });
	try {
		const granted = await tokenCall({ ...ctx, authBaseUrl: ctx.config.authBaseUrl }, '/api/v2/token/refresh', {
			app_key: credentials.appKey,
			app_secret: credentials.appSecret,
			refresh_token: credentials.refreshToken,
			grant_type: 'refresh_token'
		});
		return { credentials: { ...credentials, accessToken: granted.accessToken, refreshToken: granted.refreshToken }, tokens: granted.tokens };
	} catch (error) {
		if (error instanceof SendError && error.reason === 'permanent') throw new SendError('permanent', error.message, { code: 'refresh_rejected', status: error.status });
		throw error;
	}
}

/** The connection's shop among those the token is authorized for. */
export async function identify(ctx: CallContext<TikTokCredentials>): Promise<AccountIdentity> {
	const shop = (await authorizedShops(ctx)).find((s) => s.id === ctx.config.externalId);
	if (!shop) throw new SendError('permanent', 'This token is not authorized for that shop', { code: 'account_mismatch' });
	return { externalId: shop.id, name: shop.name };
}

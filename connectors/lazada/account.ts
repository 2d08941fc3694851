/**
 * Lazada seller authorization, token refresh and identity.
 * - Authorization: https://open.lazada.com/apps/doc/doc?nodeId=10434&docId=108260
 *                  (https://auth.lazada.com/oauth/authorize?response_type=code&client_id=…&redirect_uri=…&state=…)
 * - Create token:  https://open.lazada.com/apps/doc/api?path=%2Fauth%2Ftoken%2Fcreate (on auth.lazada.com/rest)
 * - Refresh token: https://open.lazada.com/apps/doc/api?path=%2Fauth%2Ftoken%2Frefresh
 * - Seller info:   https://open.lazada.com/apps/doc/api?path=%2Fseller%2Fget
 * UNCERTAIN: a token can cover several countries (`country_user_info`); the connection takes the first seller,
 * whose country must match the API host (`CHATMAI_LAZADA_API_URL`, Thailand by default).
 */
import { SendError } from '../shared/errors.ts';
import { apiUrl, callApi, platformFailure } from '../shared/http.ts';
import { apiSignature, call } from './api.ts';
import type { LazadaCredentials } from './credentials.ts';
import type { AccountIdentity, Authorization, AuthorizationContext, CallContext, GrantedAccount, RefreshedCredentials, TokenLifetimes } from '../types.ts';

export const LAZADA_AUTH_BASE = 'https://auth.lazada.com';
const RETRYABLE = new Set(['ServiceTimeout', 'ServiceUnavailable', 'SystemError', 'InternalError', 'ApiCallLimit', 'AppCallLimit']);

interface TokenAnswer {
	code?: string | number;
	message?: string;
	access_token?: string;
	refresh_token?: string;
	expires_in?: number;
	refresh_expires_in?: number;
	account?: string;
	country_user_info?: Array<{ country?: string; seller_id?: string | number; user_id?: string | number; short_code?: string }>;
}

async function tokenCall(
	ctx: { authBaseUrl?: string; fetch?: typeof fetch; timeoutMs?: number; now: Date },
	appKey: string,
	appSecret: string,
	path: '/auth/token/create' | '/auth/token/refresh',
	apiParams: Record<string, string>
): Promise<{ answer: TokenAnswer; accessToken: string; refreshToken: string; tokens: TokenLifetimes }> {
	const params: Record<string, string> = { app_key: appKey, timestamp: String(ctx.now.getTime()), sign_method: 'sha256', ...apiParams };
	params.sign = apiSignature(appSecret, path, params);
	const url = apiUrl(ctx.authBaseUrl ?? LAZADA_AUTH_BASE, '/rest' + path);
	const response = await callApi(ctx, {
		method: 'POST',
		url,
		headers: { 'content-type': 'application/x-www-form-urlencoded;charset=utf-8' },
		body: new URLSearchParams(params).toString()
	});
	const answer = (response.json ?? {}) as TokenAnswer;
	if (response.status === 200 && String(answer.code) === '0' && answer.access_token && answer.refresh_token) {
		const at = (secondsFromNow: number | undefined) => (secondsFromNow ? new Date(ctx.now.getTime() + secondsFromNow * 1000) : null);
		return {
			answer,
			accessToken: answer.access_token,
			refreshToken: answer.refresh_token,
			tokens: { accessTokenExpiresAt: at(answer.expires_in), refreshTokenExpiresAt: at(answer.refresh_expires_in) }
		};
	}
	throw platformFailure({ status: response.status, code: answer.code, message: answer.message, retryableCodes: RETRYABLE, platform: 'Lazada' });
}

export const authorization: Authorization<LazadaCredentials> = {
	authorizeUrl({ redirectUri, state }, ctx) {
		const url = apiUrl(ctx.authBaseUrl ?? LAZADA_AUTH_BASE, '/oauth/authorize');
		url.search = new URLSearchParams({ response_type: 'code', force_auth: 'true', client_id: ctx.app.id, redirect_uri: redirectUri, state }).toString();
		return url;
	},
	async exchange(callback, _redirectUri, ctx: AuthorizationContext): Promise<GrantedAccount<LazadaCredentials>[]> {
		const code = callback.get('code');
		if (!code) throw new SendError('permanent', 'Lazada did not return a code', { code: 'missing_code' });
		const granted = await tokenCall({ ...ctx, now: ctx.now?.() ?? new Date() }, ctx.app.id, ctx.app.secret, '/auth/token/create', { code });
		const seller = granted.answer.country_user_info?.find((c) => c.seller_id !== undefined);
		if (!seller) throw new SendError('permanent', 'Lazada returned no seller for this authorization', { code: 'no_account' });
		const credentials: LazadaCredentials = { appKey: ctx.app.id, appSecret: ctx.app.secret, accessToken: granted.accessToken, refreshToken: granted.refreshToken };
		const identity = await identify({ config: { externalId: String(seller.seller_id), webhookUrl: '', apiBaseUrl: ctx.apiBaseUrl, settings: {} }, credentials, fetch: ctx.fetch, now: ctx.now, timeoutMs: ctx.timeoutMs });
		return [{ externalId: identity.externalId, name: identity.name, credentials, settings: {}, tokens: granted.tokens }];
	}
};

export async function refresh(ctx: CallContext<LazadaCredentials>): Promise<RefreshedCredentials<LazadaCredentials>> {
	const { credentials } = ctx;
	if (!credentials.refreshToken) throw new SendError('permanent', 'This Lazada connection has no refresh token', { code: 'refresh_rejected' });
	try {
		const granted = await tokenCall({ ...ctx, authBaseUrl: ctx.config.authBaseUrl, now: ctx.now?.() ?? new Date() }, credentials.appKey, credentials.appSecret, '/auth/token/refresh', {
			refresh_token: credentials.refreshToken
		});
		return { credentials: { ...credentials, accessToken: granted.accessToken, refreshToken: granted.refreshToken }, tokens: granted.tokens };
	} catch (error) {
		if (error instanceof SendError && error.reason === 'permanent') throw new SendError('permanent', error.message, { code: 'refresh_rejected', status: error.status });
		throw error;
	}
}

/** GET /seller/get: the seller the token belongs to. */
export async function identify(ctx: CallContext<LazadaCredentials>): Promise<AccountIdentity> {
	const data = (await call(ctx, 'GET', '/seller/get', {})) as { name?: string; seller_id?: string | number; short_code?: string } | undefined;
	if (data?.seller_id === undefined) throw new SendError('permanent', 'Lazada returned no seller', { code: 'no_account' });
	return { externalId: String(data.seller_id), name: data.name ?? data.short_code ?? String(data.seller_id) };
}


import type { OpenConnection } from '../../src/lib/server/connections.ts';
import type { Platform } from '../types.ts';

/**
 * Which secret verifies a webhook of a platform app, and for which connections it vouches: the one
 * place the webhook route and the quarantine ask. Today every connection carries its app's secret
 * (Meta app secret, Shopee partner key, Lazada and TikTok app secret, LINE channel secret), so each
 * connection's credentials vouch for that connection alone: a body is filed under an account only
 * when the secret of that account's own connection verifies it. The deployment's own app
 * (CHATMAI_META_APP_ID…, src/lib/server/platform-apps.ts), when one is set, is one more verifier
 * vouching for every connection of that app (its credentials name the app's id): a body signed
 * with the app's current secret is filed even where a connection still holds an older one.
 */

/** One set of credentials that may have signed a body, and the connections whose events it vouches for. */
export interface Verifier {
	/** Parsed with the connector's credential schema. */
	credentials: unknown;
	vouchesFor: readonly OpenConnection[];
}

/** The deployment's app on a platform: its id (app key, partner id, Meta app id) and secret. */
export interface DeploymentApp {
	id: string;
	secret: string;
}

/** Where each platform's credentials keep the app secret that signs webhooks; LINE has no app. */
const SECRET_FIELD: Readonly<Record<Platform, string | null>> = {
	facebook: 'appSecret',
	instagram: 'appSecret',
	line: null,
	shopee: 'partnerKey',
	lazada: 'appSecret',
	tiktok: 'appSecret'
};

/**
 * The platform's own identifier of the app a connection's credentials belong to: Lazada and TikTok
 * `appKey`, Shopee `partnerId`, an `appId` where credentials carry one. Undefined when they name none
 * (Meta page credentials today): such a connection is not told apart by the URL's app key.
 */
export function appKeyOf(credentials: unknown): string | undefined {
	if (!credentials || typeof credentials !== 'object') return undefined;
	const c = credentials as Record<string, unknown>;
	for (const value of [c.appKey, c.partnerId, c.appId]) {
		if (typeof value === 'string' || typeof value === 'number') return String(value);
	}
	return undefined;
}

/**
 * The verifiers for a body posted for `platform` (and `appKey`, from `/webhooks/<platform>/app/<appKey>`),
 * given the active connections its account ids route to (and the URL's own connection on a
 * per-connection URL). A connection of another app than the URL names is left out.
 */
export function appVerifiers(
	platform: Platform,
	appKey: string | undefined,
	connections: readonly OpenConnection[],
	app: DeploymentApp | null = null
): Verifier[] {
	const verifiers: Verifier[] = [];
	const ofApp: OpenConnection[] = [];
	for (const connection of connections) {
		if (connection.platform !== platform || connection.credentials === undefined) continue;
		const own = appKeyOf(connection.credentials);
		if (appKey !== undefined && own !== undefined && own !== appKey) continue;
		verifiers.push({ credentials: connection.credentials, vouchesFor: [connection] });
		if (app && own === app.id) ofApp.push(connection);
	}
	const field = SECRET_FIELD[platform];
	if (app && field && ofApp.length > 0 && (appKey === undefined || appKey === app.id)) {
		// The app's connections' own credentials with the app's secret: the same app, so the other fields (Lazada's appKey) agree.
		const credentials: Record<string, unknown> = { ...(ofApp[0]!.credentials as Record<string, unknown>), [field]: app.secret };
		delete credentials.pushPartnerKey;
		verifiers.push({ credentials, vouchesFor: ofApp });
	}
	return verifiers;
}

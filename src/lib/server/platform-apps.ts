import type { Config, Platform } from './env.ts';

/**
 * The deployment's own app on each platform (set once per deployment, from the environment): the Meta
 * app that Facebook Pages and Instagram accounts authorize, the Shopee partner app, the Lazada and TikTok
 * Shop apps. Sellers connect through these apps' authorization pages; webhook verification of the
 * per-app endpoints uses the same secrets. LINE has no app: each channel brings its own secret.
 */

/** The id/secret pair of an app; the shape connectors/types.ts calls `AppCredentials`. */
export interface PlatformApp {
	id: string;
	secret: string;
	/** TikTok Shop: the service id its authorization page names. */
	serviceId?: string;
}

const APP_OF: Record<Platform, keyof Config['platformApps'] | null> = {
	facebook: 'meta',
	instagram: 'meta',
	shopee: 'shopee',
	lazada: 'lazada',
	tiktok: 'tiktok',
	line: null
};

/** The app a platform's connections authorize, or null when the deployment has none configured (or LINE). */
export function appCredentials(config: Pick<Config, 'platformApps'>, platform: Platform): PlatformApp | null {
	const app = APP_OF[platform];
	return (app && config.platformApps[app]) || null;
}

/** The environment variables that configure a platform's app, for messages that say what is missing. */
export function appVariables(platform: Platform): string[] {
	switch (APP_OF[platform]) {
		case 'meta':
			return ['CHATMAI_META_APP_ID', 'CHATMAI_META_APP_SECRET'];
		case 'shopee':
			return ['CHATMAI_SHOPEE_PARTNER_ID', 'CHATMAI_SHOPEE_PARTNER_KEY'];
		case 'lazada':
			return ['CHATMAI_LAZADA_APP_KEY', 'CHATMAI_LAZADA_APP_SECRET'];
		case 'tiktok':
			return ['CHATMAI_TIKTOK_APP_KEY', 'CHATMAI_TIKTOK_APP_SECRET', 'CHATMAI_TIKTOK_SERVICE_ID'];
		default:
			return [];
	}
}

import type { Platform } from './env.ts';

/**
 * Where each platform posts its webhooks. Meta (one callback URL per app), Shopee (one push URL per
 * partner app), Lazada and TikTok Shop (one push URL per app) post every page's or shop's events to
 * one URL: `/webhooks/<platform>`, or `/webhooks/<platform>/app/<appKey>` where a deployment runs
 * several apps of one platform. LINE sets a URL per channel: `/webhooks/line/<connectionId>`. Either
 * way the route files each event under the connection of the account id in the payload
 * (connectors/pipeline/webhook-route.ts); the per-connection URLs of the other platforms (the
 * previous release's) still work, for one release, and log that they are deprecated.
 */

export type WebhookScope = 'app' | 'channel';

/** LINE sets one webhook URL per channel (each channel has its own secret); every other platform one per app. */
const SCOPES: Readonly<Record<Platform, WebhookScope>> = {
	facebook: 'app',
	instagram: 'app',
	line: 'channel',
	shopee: 'app',
	lazada: 'app',
	tiktok: 'app'
};

export function webhookScope(platform: Platform): WebhookScope {
	return SCOPES[platform];
}

/** An app key names one of several apps of a platform in a URL: the platform's app key or partner id. */
export const APP_KEY = /^[A-Za-z0-9._-]{1,64}$/;

/** The one URL a platform app posts to: `/webhooks/<platform>` or `/webhooks/<platform>/app/<appKey>`. */
export function appWebhookUrl(origin: string, platform: string, appKey?: string): string {
	return `${origin.replace(/\/$/, '')}/webhooks/${platform}${appKey ? `/app/${encodeURIComponent(appKey)}` : ''}`;
}

/** The per-connection URL: LINE's per-channel URL, and the deprecated one of the other platforms. */
export function connectionWebhookUrl(origin: string, platform: string, connectionId: string): string {
	return `${origin.replace(/\/$/, '')}/webhooks/${platform}/${connectionId}`;
}

/** The URL to paste into the platform's console for a connection. */
export function webhookUrlToPaste(origin: string, platform: Platform, connectionId: string): string {
	return webhookScope(platform) === 'channel' ? connectionWebhookUrl(origin, platform, connectionId) : appWebhookUrl(origin, platform);
}

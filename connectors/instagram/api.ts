/**
 * Instagram Send API through the linked Page: https://developers.facebook.com/docs/instagram-platform/instagram-api-with-facebook-login/messaging-api
 * Subscribe and unsubscribe: https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps
 */
import { revokeMetaSubscription, sendMetaMessage, subscribeMetaPage, type MetaApiOptions, type MetaCredentials } from '../shared/meta.ts';
import { capabilities } from './capabilities.ts';
import type { CallContext, OutgoingReply, SendResult } from '../types.ts';

const options: MetaApiOptions = {
	platform: 'instagram',
	capabilities,
	// The external id is the Instagram account; with a Page token, `me` is the linked Page that sends for it.
	sendingNode: (_config, settings) => settings.pageId ?? 'me'
};

export function send(reply: OutgoingReply, ctx: CallContext<MetaCredentials>): Promise<SendResult> {
	return sendMetaMessage(options, reply, ctx);
}

export function revoke(ctx: CallContext<MetaCredentials>): Promise<void> {
	return revokeMetaSubscription(options, ctx);
}

export function subscribe(ctx: CallContext<MetaCredentials>): Promise<void> {
	return subscribeMetaPage(options, ctx);
}

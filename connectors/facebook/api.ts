/**
 * Messenger Send API from the Page: https://developers.facebook.com/docs/messenger-platform/reference/send-api/
 * Subscribe and unsubscribe: https://developers.facebook.com/docs/graph-api/reference/page/subscribed_apps
 */
import { revokeMetaSubscription, sendMetaMessage, subscribeMetaPage, type MetaApiOptions, type MetaCredentials } from '../shared/meta.ts';
import { capabilities } from './capabilities.ts';
import type { CallContext, OutgoingReply, SendResult } from '../types.ts';

const options: MetaApiOptions = {
	platform: 'facebook',
	capabilities,
	// The connection's external id is the Page id.
	sendingNode: (config, settings) => settings.pageId ?? config.externalId
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

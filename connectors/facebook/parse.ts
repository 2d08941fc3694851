/** Messenger webhook events (`object: 'page'`): https://developers.facebook.com/docs/messenger-platform/reference/webhook-events */
import { metaAccountIds, parseMetaWebhook } from '../shared/meta.ts';
import type { NormalizedEvent } from '../types.ts';

export function parse(rawBody: Uint8Array): NormalizedEvent[] {
	return parseMetaWebhook(rawBody, 'page');
}

/** `entry[].id`: the Page each entry is for. */
export const accountIds = metaAccountIds;

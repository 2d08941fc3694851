/** Instagram messaging webhooks (`object: 'instagram'`): https://developers.facebook.com/docs/instagram-platform/webhooks */
import { metaAccountIds, parseMetaWebhook } from '../shared/meta.ts';
import type { NormalizedEvent } from '../types.ts';

export function parse(rawBody: Uint8Array): NormalizedEvent[] {
	return parseMetaWebhook(rawBody, 'instagram');
}

/** `entry[].id`: the Instagram professional account each entry is for. */
export const accountIds = metaAccountIds;

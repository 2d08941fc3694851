/**
 * Facebook Page (Messenger) connector.
 * Docs: https://developers.facebook.com/docs/messenger-platform — the shared Meta code is in ../shared/meta.ts.
 */
import { credentialSchema, type MetaCredentials } from './credentials.ts';
import { replyWindow } from '../shared/policy.ts';
import { authorization, identify, profile } from './account.ts';
import { revoke, send, subscribe } from './api.ts';
import { capabilities } from './capabilities.ts';
import { accountIds, parse } from './parse.ts';
import { handshake, verify } from './verify.ts';
import type { Connector } from '../types.ts';

export const facebook: Connector<MetaCredentials> = {
	platform: 'facebook',
	capabilities,
	credentialSchema,
	handshake,
	verify,
	accountIds,
	parse,
	send,
	checkReplyWindow: (lastCustomerMessageAt, now) => replyWindow(capabilities, lastCustomerMessageAt, now),
	revoke,
	authorization,
	identify,
	profile,
	subscribe
};

/**
 * LINE Official Account connector (Messaging API).
 * Docs: https://developers.line.biz/en/docs/messaging-api/overview/
 */
import { replyWindow } from '../shared/policy.ts';
import { identify, profile, testWebhook } from './account.ts';
import { revoke, send } from './api.ts';
import { capabilities } from './capabilities.ts';
import { credentialSchema, type LineCredentials } from './credentials.ts';
import { accountIds, parse } from './parse.ts';
import { verify } from './verify.ts';
import type { Connector } from '../types.ts';

export const line: Connector<LineCredentials> = {
	platform: 'line',
	capabilities,
	credentialSchema,
	verify,
	accountIds,
	parse,
	send,
	checkReplyWindow: (lastCustomerMessageAt, now) => replyWindow(capabilities, lastCustomerMessageAt, now),
	revoke,
	identify,
	profile,
	testWebhook
};

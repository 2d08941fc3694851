/**
 * TikTok Shop customer service and orders connector (Open API 202309).
 * Docs: https://partner.tiktokshop.com/docv2/page/customer-service-api-overview
 */
import { replyWindow } from '../shared/policy.ts';
import { authorization, identify, refresh } from './account.ts';
import { orders, send } from './api.ts';
import { capabilities } from './capabilities.ts';
import { credentialSchema, type TikTokCredentials } from './credentials.ts';
import { accountIds, parse } from './parse.ts';
import { signedAt, verify } from './verify.ts';
import type { Connector } from '../types.ts';

export const tiktok: Connector<TikTokCredentials> = {
	platform: 'tiktok',
	capabilities,
	credentialSchema,
	verify,
	accountIds,
	signedAt,
	parse,
	send,
	checkReplyWindow: (lastCustomerMessageAt, now) => replyWindow(capabilities, lastCustomerMessageAt, now),
	orders,
	authorization,
	identify,
	refresh
};

/**
 * Shopee seller chat and orders connector (Open Platform v2).
 * Docs: https://open.shopee.com/developer-guide/4
 */
import { replyWindow } from '../shared/policy.ts';
import { authorization, identify, refresh } from './account.ts';
import { orders, send } from './api.ts';
import { capabilities } from './capabilities.ts';
import { credentialSchema, type ShopeeCredentials } from './credentials.ts';
import { accountIds, parse } from './parse.ts';
import { signedAt, verify } from './verify.ts';
import type { Connector } from '../types.ts';

export const shopee: Connector<ShopeeCredentials> = {
	platform: 'shopee',
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

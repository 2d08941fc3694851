/**
 * Lazada IM and orders connector (Lazada Open Platform).
 * Docs: https://open.lazada.com/apps/doc/doc?nodeId=10777&docId=108147
 */
import { replyWindow } from '../shared/policy.ts';
import { authorization, identify, refresh } from './account.ts';
import { orders, send } from './api.ts';
import { capabilities } from './capabilities.ts';
import { credentialSchema, type LazadaCredentials } from './credentials.ts';
import { accountIds, parse } from './parse.ts';
import { signedAt, verify } from './verify.ts';
import type { Connector } from '../types.ts';

export const lazada: Connector<LazadaCredentials> = {
	platform: 'lazada',
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

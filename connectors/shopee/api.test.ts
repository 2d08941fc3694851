import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { shopSignature } from './api.ts';

describe('Shopee shop API signature', () => {
	it('signs the base string of the Shopee API-calls guide: partner_id, path, timestamp, access_token, shop_id', () => {
		const credentials = { partnerId: '2001887', partnerKey: 'test-key', accessToken: '59777174636562737266615546704c6d' };
		const documentedBase = '2001887/api/v2/shop/get_shop_info165571443159777174636562737266615546704c6d14701711';
		const expected = createHmac('sha256', 'test-key').update(documentedBase).digest('hex');
		expect(shopSignature(credentials, '/api/v2/shop/get_shop_info', 1655714431, '14701711')).toBe(expected);
	});
});

import { describe, expect, it } from 'vitest';
import { accountIds, parse } from './parse.ts';

describe('Lazada IM push', () => {
	it('is read without a top-level timestamp, as in Lazada’s own sample', () => {
		// The IM push sample of https://open.lazada.com/apps/doc/doc?nodeId=29538&docId=121553 carries no `timestamp`.
		const body = Buffer.from(
			JSON.stringify({
				seller_id: '100094063',
				message_type: 2,
				data: {
					session_id: '100094063_2_1011822749_1_103',
					message_id: '1zYOS8X0k',
					content: '{"txt":"ยังมีของไหมคะ"}',
					from_account_id: '1011822749',
					from_account_type: 1,
					to_account_id: '100094063',
					to_account_type: 2,
					send_time: 1717236030000,
					template_id: 1,
					type: 1,
					status: 0,
					site_id: 'TH'
				},
				site: 'lazada_th'
			})
		);
		expect(accountIds(body)).toEqual(['100094063']);
		const [event] = parse(body);
		expect(event).toMatchObject({ type: 'message', accountId: '100094063', text: 'ยังมีของไหมคะ', from: 'customer', customer: { externalId: '1011822749' } });
	});
});

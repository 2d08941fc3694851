import { describe, expect, it } from 'vitest';
import { apiSignature } from './api.ts';

describe('Lazada API signature', () => {
	it('matches the worked example in the Lazada signature guide', () => {
		const params = { access_token: 'test', app_key: '123456', order_id: '1234', sign_method: 'sha256', timestamp: '1517820392000' };
		expect(apiSignature('helloworld', '/order/get', params)).toBe('4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A');
	});

	it('ignores an existing sign parameter and the order parameters were given in', () => {
		const params = { timestamp: '1517820392000', sign: 'OLD', order_id: '1234', app_key: '123456', sign_method: 'sha256', access_token: 'test' };
		expect(apiSignature('helloworld', '/order/get', params)).toBe('4190D32361CFB9581350222F345CB77F3B19F0E31D162316848A2C1FFD5FAB4A');
	});
});

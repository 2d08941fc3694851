import { describe, expect, it } from 'vitest';
import { translator } from '$lib/i18n';
import { REPLY_REFUSALS, RETRY_REFUSALS } from '$lib/server/platforms';
import { retryErrorKey, sendErrorKey } from './labels';

describe('a refused reply or retry', () => {
	it('is worded from its code in English and Thai, a sentence of its own for every code the server sends', () => {
		const en = translator('en');
		const th = translator('th');
		// key_reused cannot reach an agent as such: the composer makes a new key for new text, so "try again" is right.
		for (const code of REPLY_REFUSALS.filter((c) => c !== 'key_reused')) {
			expect(sendErrorKey(code), code).not.toBe('conversation.send.error.generic');
			expect(th(sendErrorKey(code))).not.toBe(en(sendErrorKey(code)));
		}
		for (const code of RETRY_REFUSALS) expect(retryErrorKey(code), code).not.toBe('conversation.send.error.generic');
		expect(th(retryErrorKey('window_closed'))).toBe('หมดช่วงเวลาตอบกลับของแพลตฟอร์มแล้ว กรุณารอให้ลูกค้าทักมาใหม่');
	});
});

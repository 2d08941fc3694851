import { describe, expect, it } from 'vitest';
import { formatDateTime, formatNumber, translator, type Locale } from '$lib/i18n';
import { DELIVERY_ERROR_CODES } from '$lib/delivery-errors';
import { deliveryErrorDetail, deliveryErrorText } from './delivery-error';

function format(locale: Locale) {
	return { t: translator(locale), number: (n: number) => formatNumber(n, locale), dateTime: (v: string) => formatDateTime(v, locale, 'Asia/Bangkok') };
}

describe('the sentence under an undelivered message', () => {
	it('words a platform that did not answer for the seller, in English and Thai, without the technical detail', () => {
		const reason = { code: 'platform_unreachable', attempts: 6, detail: 'network error calling 127.0.0.1:4010/v2/bot/message/push' };
		expect(deliveryErrorText(reason, 'LINE', format('en'))).toBe('Not sent: LINE did not answer after 6 tries. Retry to send it again.');
		expect(deliveryErrorText(reason, 'LINE', format('th'))).toBe('ยังไม่ได้ส่ง: LINE ไม่ตอบสนองหลังลองส่ง 6 ครั้ง ลองส่งอีกครั้งได้');
		expect(deliveryErrorDetail(reason)).toBe('network error calling 127.0.0.1:4010/v2/bot/message/push');
	});

	it('says when the reply window closed, in the shop’s time', () => {
		const reason = { code: 'window_closed', closedAt: '2026-03-03T03:00:00.000Z' };
		expect(deliveryErrorText(reason, 'Messenger', format('en'))).toBe(
			'Not sent: the Messenger reply window closed on 3 Mar 2026, 10:00. The customer has to write again first.'
		);
		expect(deliveryErrorText({ code: 'window_closed' }, 'Instagram', format('th'))).toBe('ยังไม่ได้ส่ง: หมดช่วงเวลาตอบกลับของ Instagram แล้ว ต้องรอให้ลูกค้าทักมาใหม่ก่อน');
	});

	it('has a sentence of its own for every code, in both languages', () => {
		for (const locale of ['en', 'th'] as const) {
			const sentences = DELIVERY_ERROR_CODES.filter((code) => code !== 'unknown').map((code) => deliveryErrorText({ code }, 'Shopee', format(locale)));
			expect(new Set(sentences).size).toBe(sentences.length);
			for (const sentence of sentences) expect(sentence).not.toMatch(/\{|conversation\./);
		}
	});

	it('shows an older English sentence only as the technical detail', () => {
		const old = 'Gave up after 6 tries: network error calling 127.0.0.1:4010/v2/bot/message/push';
		expect(deliveryErrorText(old, 'LINE', format('th'))).toBe('ส่งไม่ถึง');
		expect(deliveryErrorDetail(old)).toBe(old);
		expect(deliveryErrorDetail({ code: 'disconnected' })).toBeNull();
	});
});

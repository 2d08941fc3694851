import { describe, expect, it } from 'vitest';
import { formatDateTime, formatNumber, translator, type Locale } from '$lib/i18n';
import { replyWindowState } from '$lib/platforms';
import { windowNotice } from './reply-window';

const messenger = { replyWindowHours: 24, extendedReplyWindowHours: 7 * 24 };
const line = { replyWindowHours: null, extendedReplyWindowHours: null };
const shopee = { replyWindowHours: 7 * 24, extendedReplyWindowHours: null };
const HOUR = 3_600_000;
const last = '2026-03-02T03:00:00.000Z';
const at = (hoursAfter: number) => Date.parse(last) + hoursAfter * HOUR;

function format(locale: Locale) {
	return {
		t: translator(locale),
		number: (n: number) => formatNumber(n, locale),
		dateTime: (v: number) => formatDateTime(v, locale, 'Asia/Bangkok')
	};
}

describe('the reply window notice', () => {
	it('says nothing while the window is open and warns in its last hours', () => {
		expect(windowNotice(replyWindowState(messenger, last, at(1)), 'Messenger', at(1), format('en'))).toBeNull();
		expect(windowNotice(replyWindowState(messenger, last, at(21)), 'Messenger', at(21), format('en'))?.text).toBe(
			'Messenger: the reply window closes in about 3 h.'
		);
		expect(windowNotice(replyWindowState(line, last, at(1000)), 'LINE', at(1000), format('en'))).toBeNull();
	});

	it('offers the human-agent tag after Messenger’s 24 hours, in English and Thai', () => {
		const state = replyWindowState(messenger, last, at(30));
		expect(state).toMatchObject({ kind: 'extended', hours: 24, extendedHours: 168 });
		expect(windowNotice(state, 'Messenger', at(30), format('en'))).toEqual({
			text: 'Messenger: 24-hour window closed — you can still send with the human-agent tag for 7 days (until 9 Mar 2026, 10:00).',
			warning: true
		});
		expect(windowNotice(state, 'Messenger', at(30), format('th'))?.text).toBe(
			'Messenger: หมดช่วงตอบกลับ 24 ชั่วโมงแล้ว — ยังส่งได้ด้วยแท็ก Human Agent ภายใน 7 วัน (ถึง 9 มี.ค. 2569 10:00)'
		);
	});

	it('says the window has closed once the tagged window has passed too, or when there is none', () => {
		const closed = replyWindowState(messenger, last, at(200));
		expect(closed).toMatchObject({ kind: 'closed', hours: 168 });
		expect(windowNotice(closed, 'Messenger', at(200), format('en'))?.text).toBe(
			'Messenger: the reply window (7 days after the customer’s last message) has closed. Wait for the customer to write again.'
		);
		const shop = replyWindowState(shopee, last, at(200));
		expect(shop.kind).toBe('closed');
		expect(windowNotice(shop, 'Shopee', at(200), format('th'))?.text).toBe(
			'Shopee: หมดช่วงเวลาตอบกลับแล้ว (7 วัน หลังข้อความล่าสุดของลูกค้า) ต้องรอให้ลูกค้าทักมาใหม่ก่อน'
		);
	});

	it('asks for the customer to write first when they never have', () => {
		expect(windowNotice(replyWindowState(messenger, null, at(0)), 'Messenger', at(0), format('en'))?.text).toBe(
			'Messenger lets you reply only after the customer has written to you.'
		);
	});
});

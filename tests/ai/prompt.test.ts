import { describe, expect, it } from 'vitest';
import { buildPrompt, customerLanguage, detectLanguage, fitReply, type DraftContext } from '../../src/lib/server/ai/draft.ts';

/** How the draft prompt is made and how the model's answer is fitted to the platform. */

function context(messages: DraftContext['messages'], extra: Partial<DraftContext> = {}): DraftContext {
	return { shopName: 'Mai Shop', platform: 'shopee', customerName: 'Pim', messages, orders: [], maxTextLength: 600, ...extra };
}
const customer = (body: string) => ({ direction: 'in' as const, senderType: 'customer' as const, body, attachments: [] });
const agent = (body: string) => ({ direction: 'out' as const, senderType: 'agent' as const, body, attachments: [] });

describe('the draft prompt', () => {
	it('answers in the language of the customer’s last message', () => {
		expect(detectLanguage('ของถึงเมื่อไหร่คะ')).toBe('th');
		expect(detectLanguage('When will it arrive?')).toBe('en');
		expect(detectLanguage('ok ค่ะ ขอบคุณ')).toBe('th');
		expect(detectLanguage('🙏')).toBe('en');
		expect(customerLanguage([customer('Hello'), agent('สวัสดีค่ะ'), customer('ส่งของวันไหนคะ')])).toBe('th');
		expect(customerLanguage([customer('สวัสดีค่ะ'), customer('Do you ship to Chiang Mai?')])).toBe('en');
	});

	it('gives the customer the user role, the shop the assistant role, and skips system lines', () => {
		const prompt = buildPrompt(context([customer('Is the red one in stock?'), { ...agent('Let me check'), senderType: 'system' }, agent('Yes, size M'), customer('Great')]));
		expect(prompt.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
		expect(prompt.slice(1).map((m) => m.content)).toEqual(['Is the red one in stock?', 'Yes, size M', 'Great']);
	});

	it('tells the model the shop, the limit, not to invent facts, and only the orders it knows', () => {
		const none = buildPrompt(context([customer('Where is my order?')]))[0].content;
		expect(none).toContain('Mai Shop');
		expect(none).toContain('Shopee');
		expect(none).toContain('At most 600 characters');
		expect(none).toMatch(/never invent facts/i);
		expect(none).toContain('No orders of this customer are known here.');
		expect(none).toContain('Reply in English');

		const order = { externalOrderId: '240105ABCD', status: 'SHIPPED', currency: 'THB', total: '450.00', items: [{ name: 'T-shirt', quantity: 2 }], tracking: { carrier: 'Kerry', number: 'KEX123' }, placedAt: '2026-01-05T03:00:00.000Z' };
		const known = buildPrompt(context([customer('ของถึงไหนแล้วคะ')], { orders: [order] }))[0].content;
		expect(known).toContain('240105ABCD');
		expect(known).toContain('450.00 THB');
		expect(known).toContain('Kerry KEX123');
		expect(known).toContain('Reply in Thai');
	});

	it('writes Thai in the asking agent’s voice: ค่ะ, ครับ, or the model’s choice', () => {
		const thai = [customer('ของถึงไหนแล้วคะ')];
		expect(buildPrompt(context(thai, { particle: 'kha' }))[0].content).toContain('end polite sentences with ค่ะ (questions with คะ), never ครับ');
		expect(buildPrompt(context(thai, { particle: 'khrap' }))[0].content).toContain('end polite sentences with ครับ, never ค่ะ or คะ');
		expect(buildPrompt(context(thai))[0].content).toContain('Use polite Thai (ค่ะ or ครับ)');
		// English replies carry no Thai particle rule.
		expect(buildPrompt(context([customer('Where is it?')], { particle: 'khrap' }))[0].content).not.toContain('ครับ');
	});

	it('names an attachment the customer sent without text', () => {
		const prompt = buildPrompt(context([{ ...customer(''), attachments: [{ kind: 'image', url: 'https://x.test/a.jpg' }] }]));
		expect(prompt[1]).toEqual({ role: 'user', content: '[image]' });
	});
});

describe('fitting the answer', () => {
	it('drops quotes and a speaker label around the answer', () => {
		expect(fitReply('  "Thank you, we will check."  ', 100)).toBe('Thank you, we will check.');
		expect(fitReply('Shop: ขอบคุณค่ะ', 100)).toBe('ขอบคุณค่ะ');
	});

	it('keeps the answer within the platform’s length, cut at a sentence or word end', () => {
		const long = 'We will check your order today. Thank you for waiting so patiently with us.';
		const fitted = fitReply(long, 40);
		expect([...fitted].length).toBeLessThanOrEqual(40);
		expect(fitted).toBe('We will check your order today.');
		const thai = 'ก'.repeat(50);
		expect([...fitReply(thai, 20)].length).toBe(20);
	});
});

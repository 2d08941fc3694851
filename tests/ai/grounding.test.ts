import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anyWordQuery, relevantCanned, searchText } from '../../src/lib/server/ai/grounding.ts';
import { buildPrompt, draftContext } from '../../src/lib/server/ai/draft.ts';
import { scopeFor } from '../../src/lib/server/scope.ts';
import { testPool } from '../helpers/db.ts';
import { seedConversation, seedWorkspace } from '../helpers/seed.ts';

/** The draft's grounding against the real PostgreSQL: the canned responses that fit, and the customer's orders. */

const db = testPool();
let ws: Awaited<ReturnType<typeof seedWorkspace>>;
let other: Awaited<ReturnType<typeof seedWorkspace>>;

const CANNED: [string, string][] = [
	['shipping-th', 'ค่าส่ง 50 บาท ส่งฟรีเมื่อซื้อครบ 500 บาทค่ะ จัดส่งภายใน 1-2 วันทำการ'],
	['size-th', 'เปลี่ยนไซซ์ได้ภายใน 7 วันค่ะ สินค้าต้องยังไม่ผ่านการใช้งาน'],
	['returns', 'You can return any item within 14 days for a full refund.'],
	['hours', 'Our team answers chats from 9:00 to 18:00, Monday to Saturday.'],
	['payment', 'We accept bank transfer, PromptPay and cash on delivery.']
];

beforeAll(async () => {
	ws = await seedWorkspace(db);
	other = await seedWorkspace(db);
	for (const [shortcut, body] of CANNED) await db.query(`insert into canned_responses (workspace_id, shortcut, body) values ($1, $2, $3)`, [ws.workspaceId, shortcut, body]);
	await db.query(`insert into canned_responses (workspace_id, shortcut, body) values ($1, 'returns', 'OTHER SHOP: return within 14 days for a full refund')`, [other.workspaceId]);
});
afterAll(() => db.end());

describe('the canned responses a draft is grounded on', () => {
	it('finds the Thai answer for a Thai question, though Thai has no spaces between words', async () => {
		const found = await relevantCanned(db, ws.workspaceId, 'ค่าส่งเท่าไหร่คะ ส่งไปเชียงใหม่');
		expect(found[0]?.shortcut).toBe('shipping-th');
		expect(found.map((c) => c.shortcut)).not.toContain('hours');
	});

	it('finds the English answer by its words, in any order, and only this workspace’s', async () => {
		const found = await relevantCanned(db, ws.workspaceId, 'Hi, can I get a refund if I return the shirt?');
		expect(found[0]).toEqual({ shortcut: 'returns', body: 'You can return any item within 14 days for a full refund.' });
		expect(found.some((c) => c.body.startsWith('OTHER SHOP'))).toBe(false);
	});

	it('gives nothing when nothing fits, and never more than three', async () => {
		expect(await relevantCanned(db, ws.workspaceId, 'zzz qqq')).toEqual([]);
		expect(await relevantCanned(db, ws.workspaceId, '')).toEqual([]);
		const many = await relevantCanned(db, ws.workspaceId, 'return refund days chats team accept bank delivery Monday');
		expect(many).toHaveLength(3);
	});

	it('searches with the customer’s last three messages and no tsquery syntax', () => {
		const messages = ['one', 'two', 'three', 'four'].map((body) => ({ direction: 'in' as const, body }));
		expect(searchText([...messages, { direction: 'out', body: 'agent text' }])).toBe('two\nthree\nfour');
		expect(anyWordQuery("it's a & b | c:* (ราคา)")).toBe('it | ราคา');
	});
});

describe('the draft context', () => {
	it('puts the fitting canned answers in the prompt, and the order the customer named first', async () => {
		const conversation = await seedConversation(db, ws, { customer: 'Pim', messages: ['สั่งไป ORD-2 ค่ะ', 'ค่าส่งเท่าไหร่คะ'] });
		const { rows } = await db.query(`select contact_identity_id from conversations where id = $1`, [conversation]);
		for (const [id, placed] of [
			['ORD-1', '2026-01-03'],
			['ORD-2', '2026-01-01'],
			['ORD-3', '2026-01-02']
		]) {
			await db.query(
				`insert into orders (workspace_id, connection_id, contact_identity_id, external_order_id, status, placed_at) values ($1, $2, $3, $4, 'paid', $5)`,
				[ws.workspaceId, ws.connectionId, rows[0].contact_identity_id, id, placed]
			);
		}
		const scope = (await scopeFor(db, { kind: 'session', userId: ws.userId } as never, ws.workspaceId))!;
		const context = await draftContext({ db, maxTextLength: () => 1000 }, scope, conversation);
		expect(context.orders.map((o) => o.externalOrderId)).toEqual(['ORD-2', 'ORD-1', 'ORD-3']);
		expect(context.canned?.[0]?.shortcut).toBe('shipping-th');
		const system = buildPrompt(context)[0].content;
		expect(system).toContain('/shipping-th: ค่าส่ง 50 บาท');
		expect(system).not.toContain('Our team answers chats');
	});
});

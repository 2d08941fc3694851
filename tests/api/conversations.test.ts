import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { seedConversation, seedWorkspace } from '../helpers/seed.ts';
import { listConversations, getConversation, markRead } from '../../src/lib/server/conversations.ts';
import { scopeFor, type WorkspaceScope } from '../../src/lib/server/scope.ts';
import type { Principal } from '../../src/lib/server/auth/principal.ts';

const db = testPool();
afterAll(() => db.end());

function principal(userId: string): Principal {
	return { kind: 'session', userId, email: 'x@example.test', name: 'X', locale: 'en', credentialId: 's', workspaceId: null };
}

let ws: Awaited<ReturnType<typeof seedWorkspace>>;
let scope: WorkspaceScope;
let other: Awaited<ReturnType<typeof seedWorkspace>>;

beforeAll(async () => {
	ws = await seedWorkspace(db);
	other = await seedWorkspace(db);
	scope = await scopeFor(db, principal(ws.userId), ws.workspaceId);
	await seedConversation(db, ws, { customer: 'สมหญิง ใจดี', messages: ['สวัสดีค่ะ', 'เมื่อไหร่จะส่งของคะ รอนานแล้ว'], labels: ['vip'] });
	await seedConversation(db, ws, { customer: 'John Carter', messages: ['Where is my order #A1234?', 'I want a refund for the damaged box'], assigneeId: ws.userId });
	await seedConversation(db, ws, { customer: 'Malai', messages: ['ขอบคุณค่ะ'], status: 'resolved' });
	await seedConversation(db, other, { customer: 'Other shop customer', messages: ['ส่งของด่วน refund please'] });
});

describe('the conversation list', () => {
	it('lists only its own workspace, newest first', async () => {
		const page = await listConversations(db, scope, {});
		expect(page.items.map((c) => c.contact.name)).toEqual(['Malai', 'John Carter', 'สมหญิง ใจดี']);
		expect(page.items.every((c) => c.connection.name === 'LINE OA')).toBe(true);
	});

	it('filters mine, unassigned, status and label', async () => {
		expect((await listConversations(db, scope, { filter: 'mine' })).items.map((c) => c.contact.name)).toEqual(['John Carter']);
		expect((await listConversations(db, scope, { filter: 'unassigned' })).items).toHaveLength(2);
		expect((await listConversations(db, scope, { status: 'resolved' })).items.map((c) => c.contact.name)).toEqual(['Malai']);
		expect((await listConversations(db, scope, { label: 'vip' })).items.map((c) => c.contact.name)).toEqual(['สมหญิง ใจดี']);
	});

	it('finds Thai text inside a sentence written without spaces', async () => {
		const page = await listConversations(db, scope, { q: 'ส่งของ' });
		expect(page.items.map((c) => c.contact.name)).toEqual(['สมหญิง ใจดี']);
	});

	it('finds English words in any order, customer names, and never another workspace', async () => {
		expect((await listConversations(db, scope, { q: 'refund damaged' })).items.map((c) => c.contact.name)).toEqual(['John Carter']);
		expect((await listConversations(db, scope, { q: 'box damaged' })).items.map((c) => c.contact.name)).toEqual(['John Carter']);
		expect((await listConversations(db, scope, { q: 'carter' })).items.map((c) => c.contact.name)).toEqual(['John Carter']);
		expect((await listConversations(db, scope, { q: 'Other shop' })).items).toHaveLength(0);
		expect((await listConversations(db, scope, { q: '100%' })).items).toHaveLength(0);
	});

	it('pages through ties in time without skipping or repeating a conversation', async () => {
		const tied = await seedWorkspace(db);
		const tiedScope = await scopeFor(db, principal(tied.userId), tied.workspaceId);
		const at = new Date('2026-01-01T00:00:00.123456Z');
		const ids = new Set<string>();
		for (let i = 0; i < 25; i++) ids.add(await seedConversation(db, tied, { customer: `c${i}`, at }));
		await db.query(`update conversations set last_message_at = last_message_at + make_interval(secs => (random() * 0.000999)) where workspace_id = $1 and contact_id in (select id from contacts where display_name like 'c1%')`, [tied.workspaceId]);
		const seen: string[] = [];
		let cursor: string | undefined;
		do {
			const page = await listConversations(db, tiedScope, { cursor, limit: 7 });
			seen.push(...page.items.map((c) => c.id));
			cursor = page.nextCursor ?? undefined;
		} while (cursor);
		expect(seen).toHaveLength(25);
		expect(new Set(seen)).toEqual(ids);
	});

	it('hides a conversation of another workspace and clears unread when read', async () => {
		const foreign = await seedConversation(db, other, { customer: 'Hidden' });
		await expect(getConversation(db, scope, foreign)).rejects.toMatchObject({ reason: 'not_found' });
		const mine = await seedConversation(db, ws, { customer: 'Unread' });
		await db.query('update conversations set unread_count = 3 where id = $1', [mine]);
		await markRead(db, scope, mine);
		expect((await getConversation(db, scope, mine)).unreadCount).toBe(0);
		await markRead(db, scope, foreign);
		expect((await db.query('select unread_count from conversations where id = $1', [foreign])).rows[0].unread_count).toBe(0);
	});
});

describe('with 100,000 conversations in a workspace', () => {
	it('reads any page through the list index, with no sort and no scan of the whole workspace', async () => {
		const big = await seedWorkspace(db);
		await db.query(
			`with c as (
			   insert into contacts (workspace_id, display_name)
			   select $1, 'Customer ' || g from generate_series(1, 100000) g returning id, display_name
			 ), i as (
			   insert into contact_identities (workspace_id, contact_id, connection_id, platform, external_id)
			   select $1, c.id, $2, 'line', c.id::text from c returning id, contact_id
			 )
			 insert into conversations (workspace_id, connection_id, contact_id, contact_identity_id, platform, external_thread_id, last_message_at)
			 select $1, $2, i.contact_id, i.id, 'line', i.id::text, now() - make_interval(secs => (random() * 1e7)) from i`,
			[big.workspaceId, big.connectionId]
		);
		await db.query('analyze conversations; analyze contacts; analyze platform_connections; analyze users');
		const bigScope = await scopeFor(db, principal(big.userId), big.workspaceId);
		let page = await listConversations(db, bigScope, { limit: 50 });
		for (let i = 0; i < 20; i++) page = await listConversations(db, bigScope, { limit: 50, cursor: page.nextCursor! });
		expect(page.items).toHaveLength(50);

		const [at, id] = Buffer.from(page.nextCursor!, 'base64url').toString().split('|');
		const plan = await db.query(
			`explain (format json)
			 select c.id from conversations c join contacts ct on ct.id = c.contact_id
			  where c.workspace_id = $1 and (c.last_message_at, c.id) < ($2::timestamptz, $3::uuid)
			  order by c.last_message_at desc, c.id desc limit 51`,
			[big.workspaceId, at, id]
		);
		const text = JSON.stringify(plan.rows[0]['QUERY PLAN']);
		expect(text).toContain('conversations_list_idx');
		expect(text).not.toMatch(/"Node Type":"Sort"/);
		expect(text).not.toMatch(/"Node Type":"Seq Scan","Parallel Aware":(true|false),"Async Capable":(true|false),"Relation Name":"conversations"/);
	}, 120_000);
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { seedWorkspace } from '../helpers/seed.ts';
import { getConversation, listConversations } from '../../src/lib/server/conversations.ts';
import { scopeFor, type WorkspaceScope } from '../../src/lib/server/scope.ts';
import type { Principal } from '../../src/lib/server/auth/principal.ts';
import type { Platform } from '../../src/lib/platforms.ts';

/**
 * The platforms' clocks, computed by the inbox list query from the messages in PostgreSQL.
 * Every instant is fixed: the clock is absolute (due at), never relative to the test's own time.
 */

const db = testPool();
afterAll(() => db.end());

function principal(userId: string): Principal {
	return { kind: 'session', userId, email: 'x@example.test', name: 'X', locale: 'en', credentialId: 's', workspaceId: null };
}

let ws: Awaited<ReturnType<typeof seedWorkspace>>;
let scope: WorkspaceScope;
const connections = new Map<Platform, string>();

beforeAll(async () => {
	ws = await seedWorkspace(db);
	await db.query(`update workspaces set time_zone = 'Asia/Bangkok' where id = $1`, [ws.workspaceId]);
	scope = await scopeFor(db, principal(ws.userId), ws.workspaceId);
	for (const platform of ['shopee', 'lazada', 'tiktok', 'facebook', 'line'] as const) {
		const { rows } = await db.query(`insert into platform_connections (workspace_id, platform, name, external_id) values ($1, $2, $2, $3) returning id`, [
			ws.workspaceId,
			platform,
			crypto.randomUUID()
		]);
		connections.set(platform, rows[0].id);
	}
});

type Sender = 'customer' | 'agent' | 'ai' | 'system';
interface Msg {
	from: Sender;
	at: string;
	state?: 'queued' | 'sent' | 'failed';
}

/** A conversation on `platform` with these messages; the conversation columns follow them as the pipeline keeps them. */
async function conversation(platform: Platform, messages: Msg[], status = 'open'): Promise<string> {
	const connectionId = connections.get(platform)!;
	const contact = await db.query(`insert into contacts (workspace_id, display_name) values ($1, 'Customer') returning id`, [ws.workspaceId]);
	const ext = crypto.randomUUID();
	const identity = await db.query(
		`insert into contact_identities (workspace_id, contact_id, connection_id, platform, external_id) values ($1, $2, $3, $4, $5) returning id`,
		[ws.workspaceId, contact.rows[0].id, connectionId, platform, ext]
	);
	const customer = messages.filter((m) => m.from === 'customer').map((m) => m.at);
	const conv = await db.query(
		`insert into conversations (workspace_id, connection_id, contact_id, contact_identity_id, platform, external_thread_id, status, last_message_at, last_customer_message_at)
		 values ($1, $2, $3, $4, $5, $6, $7, $8, $9) returning id`,
		[ws.workspaceId, connectionId, contact.rows[0].id, identity.rows[0].id, platform, ext, status, messages.at(-1)?.at ?? new Date(), customer.at(-1) ?? null]
	);
	for (const m of messages) {
		await db.query(
			`insert into messages (workspace_id, conversation_id, connection_id, platform_message_id, direction, sender_type, delivery_state, body, sent_at)
			 values ($1, $2, $3, $4, $5, $6, $7, 'text', $8)`,
			[ws.workspaceId, conv.rows[0].id, connectionId, crypto.randomUUID(), m.from === 'customer' ? 'in' : 'out', m.from, m.from === 'customer' ? null : (m.state ?? 'sent'), m.at]
		);
	}
	return conv.rows[0].id;
}

const dueAt = async (id: string) => (await getConversation(db, scope, id)).dueAt;

describe('the Lazada clock', () => {
	it('makes a message at 17:59 in Bangkok due at 18:00 the same day', async () => {
		const id = await conversation('lazada', [{ from: 'customer', at: '2026-03-10T17:59:00+07:00' }]);
		expect(await dueAt(id)).toBe(new Date('2026-03-10T18:00:00+07:00').toISOString());
	});

	it('makes a message at 18:01 in Bangkok due at 18:00 the next day', async () => {
		const id = await conversation('lazada', [{ from: 'customer', at: '2026-03-10T18:01:00+07:00' }]);
		expect(await dueAt(id)).toBe(new Date('2026-03-11T18:00:00+07:00').toISOString());
	});

	it('starts a new cycle with a message at exactly 18:00, and follows the workspace time zone', async () => {
		const id = await conversation('lazada', [{ from: 'customer', at: '2026-03-10T18:00:00+07:00' }]);
		expect(await dueAt(id)).toBe(new Date('2026-03-11T18:00:00+07:00').toISOString());
		await db.query(`update workspaces set time_zone = 'Asia/Manila' where id = $1`, [ws.workspaceId]);
		try {
			// 18:00 in Bangkok is 19:00 in Manila: the next Manila 18:00 is the day after.
			expect(await dueAt(id)).toBe(new Date('2026-03-11T18:00:00+08:00').toISOString());
		} finally {
			await db.query(`update workspaces set time_zone = 'Asia/Bangkok' where id = $1`, [ws.workspaceId]);
		}
	});

	it('does not count an auto-reply as an answer', async () => {
		const id = await conversation('lazada', [
			{ from: 'customer', at: '2026-03-10T09:00:00+07:00' },
			{ from: 'system', at: '2026-03-10T09:00:05+07:00' },
			{ from: 'ai', at: '2026-03-10T09:01:00+07:00' }
		]);
		expect(await dueAt(id)).toBe(new Date('2026-03-10T18:00:00+07:00').toISOString());
	});
});

describe('the Shopee clock', () => {
	it('is due 12 hours after the first unanswered customer message', async () => {
		const id = await conversation('shopee', [
			{ from: 'customer', at: '2026-03-10T08:00:00Z' },
			{ from: 'customer', at: '2026-03-10T09:00:00Z' }
		]);
		expect(await dueAt(id)).toBe('2026-03-10T20:00:00.000Z');
	});

	it('owes nothing after a reply just before 12 hours, and still shows the deadline passed after a reply just after', async () => {
		const before = await conversation('shopee', [
			{ from: 'customer', at: '2026-03-10T08:00:00Z' },
			{ from: 'agent', at: '2026-03-10T19:59:59Z' }
		]);
		expect(await dueAt(before)).toBeNull();
		// A reply after the deadline answers the customer: nothing is owed any more (the late count is the reports' to keep).
		const after = await conversation('shopee', [
			{ from: 'customer', at: '2026-03-10T08:00:00Z' },
			{ from: 'agent', at: '2026-03-10T20:00:01Z' }
		]);
		expect(await dueAt(after)).toBeNull();
		// Until that late reply, the clock stands at the passed deadline.
		const unanswered = await conversation('shopee', [
			{ from: 'customer', at: '2026-03-10T08:00:00Z' },
			{ from: 'agent', at: '2026-03-10T20:00:01Z', state: 'queued' }
		]);
		expect(await dueAt(unanswered)).toBe('2026-03-10T20:00:00.000Z');
	});

	it('starts again from the first customer message after the last answer', async () => {
		const id = await conversation('shopee', [
			{ from: 'customer', at: '2026-03-10T08:00:00Z' },
			{ from: 'agent', at: '2026-03-10T09:00:00Z' },
			{ from: 'customer', at: '2026-03-10T10:30:00Z' },
			{ from: 'customer', at: '2026-03-10T11:00:00Z' }
		]);
		expect(await dueAt(id)).toBe('2026-03-10T22:30:00.000Z');
	});

	it('does not count an auto-reply or a failed reply as an answer', async () => {
		const id = await conversation('shopee', [
			{ from: 'customer', at: '2026-03-10T08:00:00Z' },
			{ from: 'system', at: '2026-03-10T08:00:02Z' },
			{ from: 'ai', at: '2026-03-10T08:05:00Z' },
			{ from: 'agent', at: '2026-03-10T08:10:00Z', state: 'failed' }
		]);
		expect(await dueAt(id)).toBe('2026-03-10T20:00:00.000Z');
	});

	it('owes nothing in a resolved conversation', async () => {
		const id = await conversation('shopee', [{ from: 'customer', at: '2026-03-10T08:00:00Z' }], 'resolved');
		expect(await dueAt(id)).toBeNull();
	});
});

describe('the Meta window and the platforms without a rule', () => {
	it('closes 24 hours after the customer’s last message, not the first', async () => {
		const id = await conversation('facebook', [
			{ from: 'customer', at: '2026-03-10T08:00:00Z' },
			{ from: 'customer', at: '2026-03-10T10:00:00Z' }
		]);
		expect(await dueAt(id)).toBe('2026-03-11T10:00:00.000Z');
	});

	it('owes nothing on Messenger once any reply went out, and nothing on LINE at all', async () => {
		const answered = await conversation('facebook', [
			{ from: 'customer', at: '2026-03-10T08:00:00Z' },
			{ from: 'ai', at: '2026-03-10T08:01:00Z' }
		]);
		expect(await dueAt(answered)).toBeNull();
		const line = await conversation('line', [{ from: 'customer', at: '2026-03-10T08:00:00Z' }]);
		expect(await dueAt(line)).toBeNull();
	});

	it('lets TikTok Shop count 12 hours as Shopee does', async () => {
		const id = await conversation('tiktok', [{ from: 'customer', at: '2026-03-10T23:30:00Z' }]);
		expect(await dueAt(id)).toBe('2026-03-11T11:30:00.000Z');
	});
});

describe('the due-soon sort', () => {
	it('lists the soonest deadline first, nothing owed last, and pages without skipping or repeating', async () => {
		const sorted = await seedWorkspace(db);
		const sortedScope = await scopeFor(db, principal(sorted.userId), sorted.workspaceId);
		const saved = { ws, scope, connections: new Map(connections) };
		ws = sorted;
		scope = sortedScope;
		try {
			for (const platform of ['shopee', 'line'] as const) {
				const { rows } = await db.query(`insert into platform_connections (workspace_id, platform, name, external_id) values ($1, $2, $2, $3) returning id`, [
					sorted.workspaceId,
					platform,
					crypto.randomUUID()
				]);
				connections.set(platform, rows[0].id);
			}
			const late = await conversation('shopee', [{ from: 'customer', at: '2026-03-01T00:00:00Z' }]);
			const soon = await conversation('shopee', [{ from: 'customer', at: '2026-03-02T00:00:00Z' }]);
			const sameA = await conversation('shopee', [{ from: 'customer', at: '2026-03-03T00:00:00Z' }]);
			const sameB = await conversation('shopee', [{ from: 'customer', at: '2026-03-03T00:00:00Z' }]);
			const none1 = await conversation('line', [{ from: 'customer', at: '2026-03-04T00:00:00Z' }]);
			const none2 = await conversation('line', [{ from: 'customer', at: '2026-03-05T00:00:00Z' }]);
			const seen: string[] = [];
			let cursor: string | undefined;
			do {
				const page = await listConversations(db, scope, { sort: 'due', limit: 2, cursor });
				seen.push(...page.items.map((c) => c.id));
				cursor = page.nextCursor ?? undefined;
			} while (cursor);
			const ties = [sameA, sameB].sort();
			const nones = [none1, none2].sort();
			expect(seen).toEqual([late, soon, ...ties, ...nones]);
		} finally {
			ws = saved.ws;
			scope = saved.scope;
			for (const [k, v] of saved.connections) connections.set(k, v);
		}
	});
});

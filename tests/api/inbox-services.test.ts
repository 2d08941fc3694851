import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { createSession } from '../../src/lib/server/auth/session.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { seedConversation, seedWorkspace } from '../helpers/seed.ts';

/**
 * The REST endpoints behind the inbox, against the real server: canned responses, the customer
 * panel (conversation detail), the live list's changes feed, and notifications. Data is seeded in
 * SQL; each member signs in with a session of their own.
 */

const db = testPool();
let app: RunningApp;

type Role = 'owner' | 'admin' | 'agent' | 'supervisor';
interface Member {
	userId: string;
	name: string;
	client: Client;
}

let ws: Awaited<ReturnType<typeof seedWorkspace>>;
let other: Awaited<ReturnType<typeof seedWorkspace>>;
let owner: Member;
let admin: Member;
let agent: Member;
let agent2: Member;
let supervisor: Member;
let outsider: Member;

/** A user with `role` in `workspaceId` (the seeded owner when `userId` is given), with a bearer session there. */
async function member(workspaceId: string, role: Role, name: string, userId?: string): Promise<Member> {
	if (!userId) {
		const user = await db.query(`insert into users (email, name, password_hash) values ($1, $2, 'x') returning id`, [uniqueEmail(role), name]);
		userId = user.rows[0].id as string;
		await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, $3)`, [workspaceId, userId, role]);
	}
	const { token } = await createSession(db, userId, workspaceId);
	const client = new Client(app.url);
	client.bearer = token;
	return { userId, name, client };
}

function get(m: Member, path: string) {
	return m.client.get(path, { 'x-workspace-id': m === outsider ? other.workspaceId : ws.workspaceId });
}
function send(m: Member, method: string, path: string, body?: unknown) {
	return m.client.request(method, path, body ?? {}, { 'x-workspace-id': m === outsider ? other.workspaceId : ws.workspaceId });
}

beforeAll(async () => {
	app = await startTestApp();
	ws = await seedWorkspace(db);
	other = await seedWorkspace(db);
	owner = await member(ws.workspaceId, 'owner', 'Owner', ws.userId);
	admin = await member(ws.workspaceId, 'admin', 'Admin Ann');
	agent = await member(ws.workspaceId, 'agent', 'Somchai');
	agent2 = await member(ws.workspaceId, 'agent', 'Nok');
	supervisor = await member(ws.workspaceId, 'supervisor', 'Malee');
	outsider = await member(other.workspaceId, 'owner', 'Other Owner', other.userId);
});
afterAll(async () => {
	await app?.close();
	await db.end();
});

describe('canned responses', () => {
	it('lets every member read them and only owners and admins write them', async () => {
		const created = await send(admin, 'POST', '/api/v1/canned-responses', { shortcut: 'Thanks', body: 'ขอบคุณที่สั่งซื้อค่ะ 🙏' });
		expect(created.status).toBe(201);
		expect(created.json.cannedResponse).toMatchObject({ shortcut: 'thanks', body: 'ขอบคุณที่สั่งซื้อค่ะ 🙏' });
		const id = created.json.cannedResponse.id;

		for (const reader of [agent, supervisor]) {
			const list = await get(reader, '/api/v1/canned-responses');
			expect(list.status).toBe(200);
			expect(list.json.cannedResponses.map((c: { shortcut: string }) => c.shortcut)).toEqual(['thanks']);
			expect((await send(reader, 'POST', '/api/v1/canned-responses', { shortcut: 'hi', body: 'Hello' })).status).toBe(403);
			expect((await send(reader, 'PUT', `/api/v1/canned-responses/${id}`, { shortcut: 'thanks', body: 'Changed' })).status).toBe(403);
			expect((await send(reader, 'DELETE', `/api/v1/canned-responses/${id}`)).status).toBe(403);
		}

		const updated = await send(owner, 'PUT', `/api/v1/canned-responses/${id}`, { shortcut: 'thanks', body: 'Thank you for your order!' });
		expect(updated.status).toBe(200);
		expect(updated.json.cannedResponse).toMatchObject({ id, body: 'Thank you for your order!' });
		expect((await get(agent, '/api/v1/canned-responses')).json.cannedResponses[0].body).toBe('Thank you for your order!');

		expect((await send(owner, 'DELETE', `/api/v1/canned-responses/${id}`)).status).toBe(204);
		expect((await get(agent, '/api/v1/canned-responses')).json.cannedResponses).toEqual([]);
		expect((await send(owner, 'DELETE', `/api/v1/canned-responses/${id}`)).status).toBe(404);
	});

	it('refuses a shortcut already used in the workspace with 409, but not one used elsewhere', async () => {
		const first = await send(owner, 'POST', '/api/v1/canned-responses', { shortcut: 'ship', body: 'We ship within 2 days.' });
		expect(first.status).toBe(201);
		const again = await send(admin, 'POST', '/api/v1/canned-responses', { shortcut: 'SHIP', body: 'Another text' });
		expect(again.status).toBe(409);
		expect(again.json.error.code).toBe('shortcut_taken');

		const second = await send(owner, 'POST', '/api/v1/canned-responses', { shortcut: 'refund', body: 'Refunds take 7 days.' });
		const renamed = await send(owner, 'PUT', `/api/v1/canned-responses/${second.json.cannedResponse.id}`, { shortcut: 'ship', body: 'Refunds take 7 days.' });
		expect(renamed.status).toBe(409);
		expect(renamed.json.error.code).toBe('shortcut_taken');

		// Another workspace has its own shortcuts, and cannot see or touch these.
		expect((await send(outsider, 'POST', '/api/v1/canned-responses', { shortcut: 'ship', body: 'Elsewhere' })).status).toBe(201);
		expect((await get(outsider, '/api/v1/canned-responses')).json.cannedResponses.map((c: { body: string }) => c.body)).toEqual(['Elsewhere']);
		expect((await send(outsider, 'DELETE', `/api/v1/canned-responses/${first.json.cannedResponse.id}`)).status).toBe(404);
		expect((await get(agent, '/api/v1/canned-responses')).json.cannedResponses.map((c: { shortcut: string }) => c.shortcut)).toEqual(['refund', 'ship']);
	});

	it('validates the shortcut and the text', async () => {
		const bad = await send(owner, 'POST', '/api/v1/canned-responses', { shortcut: 'two words', body: 'x' });
		expect(bad.status).toBe(400);
		expect(bad.json.error.code).toBe('invalid_input');
		expect((await send(owner, 'POST', '/api/v1/canned-responses', { shortcut: 'empty', body: '   ' })).status).toBe(400);
	});
});

describe('the conversation detail', () => {
	it('lists the customer’s other conversations in this workspace only', async () => {
		const first = await seedConversation(db, ws, { customer: 'Pim', messages: ['สวัสดีค่ะ'] });
		const { rows } = await db.query(`select contact_id from conversations where id = $1`, [first]);
		const contactId = rows[0].contact_id as string;
		// The same customer on a second connection of this workspace…
		const second = await conversationOfContact(ws.workspaceId, contactId, 'Second OA');
		// …a different customer of this workspace, and a row of another workspace that names the same contact.
		await seedConversation(db, ws, { customer: 'Someone else' });
		await conversationOfContact(other.workspaceId, contactId, 'Other shop OA');

		const detail = await get(agent, `/api/v1/conversations/${first}`);
		expect(detail.status).toBe(200);
		expect(detail.json.conversation).toMatchObject({ id: first, contact: { id: contactId, name: 'Pim' } });
		expect(detail.json.otherConversations.map((c: { id: string }) => c.id)).toEqual([second]);
		expect(detail.json.identities.map((i: { connectionName: string }) => i.connectionName).sort()).toEqual(['LINE OA', 'Second OA']);
		expect(detail.json.connectionActive).toBe(true);

		expect((await get(outsider, `/api/v1/conversations/${first}`)).status).toBe(404);
		expect((await get(agent, '/api/v1/conversations/not-a-uuid')).status).toBe(404);
	});
});

/** Another conversation of `contactId` on a new connection of `workspaceId`. */
async function conversationOfContact(workspaceId: string, contactId: string, connectionName: string): Promise<string> {
	const conn = await db.query(`insert into platform_connections (workspace_id, platform, name, external_id) values ($1, 'line', $2, $3) returning id`, [
		workspaceId,
		connectionName,
		crypto.randomUUID()
	]);
	const ext = crypto.randomUUID();
	const identity = await db.query(
		`insert into contact_identities (workspace_id, contact_id, connection_id, platform, external_id) values ($1, $2, $3, 'line', $4) returning id`,
		[workspaceId, contactId, conn.rows[0].id, ext]
	);
	const conv = await db.query(
		`insert into conversations (workspace_id, connection_id, contact_id, contact_identity_id, platform, external_thread_id, last_message_preview)
		 values ($1, $2, $3, $4, 'line', $5, 'Another chat') returning id`,
		[workspaceId, conn.rows[0].id, contactId, identity.rows[0].id, ext]
	);
	return conv.rows[0].id;
}

describe('the changes feed', () => {
	const changes = (m: Member, since: string) => get(m, `/api/v1/conversations/changes?since=${encodeURIComponent(since)}`);
	/** Where a freshly loaded list starts, polled once so that it has seen everything up to now. */
	async function cursorNow(m: Member): Promise<string> {
		const start = await get(m, '/api/v1/conversations/changes');
		expect(start.status).toBe(200);
		expect(start.json).toMatchObject({ items: [], more: false });
		// The start cursor repeats the changes made at its very instant once (none may be missed).
		const first = await changes(m, start.json.cursor);
		expect(first.json.more).toBe(false);
		return first.json.cursor;
	}

	it('returns the conversations changed after the cursor, and nothing of other workspaces', async () => {
		const quiet = await seedConversation(db, ws, { customer: 'Quiet' });
		const moved = await seedConversation(db, ws, { customer: 'Moved' });
		const cursor = await cursorNow(agent);

		const fresh = await seedConversation(db, ws, { customer: 'Fresh', messages: ['Is it available?'] });
		await db.query(`update conversations set status = 'resolved', updated_at = now() where id = $1`, [moved]);
		const foreign = await seedConversation(db, other, { customer: 'Foreign' });

		const page = await changes(agent, cursor);
		expect(page.status).toBe(200);
		const ids = page.json.items.map((c: { id: string }) => c.id);
		expect(ids.sort()).toEqual([fresh, moved].sort());
		expect(ids).not.toContain(quiet);
		expect(ids).not.toContain(foreign);
		expect(page.json.items.find((c: { id: string }) => c.id === moved).status).toBe('resolved');
		expect(page.json.more).toBe(false);

		// Polling on from the new cursor: nothing new.
		expect((await changes(agent, page.json.cursor)).json.items).toEqual([]);
		// The other workspace sees its own change only.
		const theirs = await changes(outsider, cursor);
		expect(theirs.json.items.map((c: { id: string }) => c.id)).not.toContain(fresh);
	});

	it('answers 400 for a cursor it did not make', async () => {
		const res = await changes(agent, 'bm90LWEtY3Vyc29y');
		expect(res.status).toBe(400);
		expect(res.json.error.code).toBe('invalid_cursor');
	});

	it('tells every agent when someone opens an unread conversation, and only when the count changed', async () => {
		const unread = await seedConversation(db, ws, { customer: 'Waiting', messages: ['Hello?', 'Anyone there?'] });
		await db.query(`update conversations set unread_count = 2, updated_at = now() where id = $1`, [unread]);
		const cursor = await cursorNow(agent2);

		// Somchai opens the conversation in the browser.
		const browser = new Client(app.url);
		browser.cookie = `chatmai_session=${agent.client.bearer}`;
		const opened = await browser.get(`/w/${ws.workspaceId}/inbox/${unread}`);
		expect(opened.status).toBe(200);

		// Nok's list learns that it is read.
		const seen = await changes(agent2, cursor);
		expect(seen.json.items.map((c: { id: string; unreadCount: number }) => [c.id, c.unreadCount])).toEqual([[unread, 0]]);

		// Opening it again changes nothing, so nobody's list is told anything.
		expect((await browser.get(`/w/${ws.workspaceId}/inbox/${unread}`)).status).toBe(200);
		expect((await changes(agent2, seen.json.cursor)).json.items).toEqual([]);
	});
});

describe('notifications', () => {
	async function notify(userId: string, workspaceId: string, kind: 'mention' | 'assigned', excerpt = '', createdAt = 'now()') {
		const conversationId = await seedConversation(db, workspaceId === ws.workspaceId ? ws : other, { customer: `Notified ${kind}` });
		const { rows } = await db.query(
			`insert into notifications (workspace_id, user_id, kind, conversation_id, actor_id, excerpt, created_at)
			 values ($1, $2, $3, $4, $5, $6, ${createdAt}) returning id`,
			[workspaceId, userId, kind, conversationId, owner.userId, excerpt]
		);
		return { id: rows[0].id as string, conversationId };
	}

	it('lists my own notifications in this workspace, newest first, and marks them read', async () => {
		const mention = await notify(agent.userId, ws.workspaceId, 'mention', '@Somchai please check the stock', `now() - interval '1 hour'`);
		const assigned = await notify(agent.userId, ws.workspaceId, 'assigned');
		const nok = await notify(agent2.userId, ws.workspaceId, 'mention', '@Nok hello');
		await notify(agent.userId, other.workspaceId, 'assigned');

		const list = await get(agent, '/api/v1/notifications');
		expect(list.status).toBe(200);
		expect(list.json.unread).toBe(2);
		expect(list.json.items).toEqual([
			expect.objectContaining({ id: assigned.id, kind: 'assigned', conversationId: assigned.conversationId, read: false, actor: { id: owner.userId, name: 'Owner' } }),
			expect.objectContaining({ id: mention.id, kind: 'mention', excerpt: '@Somchai please check the stock', read: false })
		]);

		// Someone else's notification cannot be marked read by me.
		expect((await send(agent, 'POST', '/api/v1/notifications', { ids: [nok.id, mention.id] })).status).toBe(204);
		const after = await get(agent, '/api/v1/notifications');
		expect(after.json.unread).toBe(1);
		expect(after.json.items.find((n: { id: string }) => n.id === mention.id).read).toBe(true);
		expect((await get(agent2, '/api/v1/notifications')).json).toMatchObject({ unread: 1, items: [expect.objectContaining({ id: nok.id, read: false })] });

		// All of mine, and still not Nok's.
		expect((await send(agent, 'POST', '/api/v1/notifications', {})).status).toBe(204);
		expect((await get(agent, '/api/v1/notifications')).json.unread).toBe(0);
		expect((await get(agent2, '/api/v1/notifications')).json.unread).toBe(1);
	});

	it('validates the ids it is given', async () => {
		const res = await send(agent, 'POST', '/api/v1/notifications', { ids: ['not-a-uuid'] });
		expect(res.status).toBe(400);
		expect(res.json.error.code).toBe('invalid_input');
	});
});

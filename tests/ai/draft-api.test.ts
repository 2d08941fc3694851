import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { createSession } from '../../src/lib/server/auth/session.ts';
import { configureAi } from '../../src/lib/server/ai/assistant.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { seedConversation, seedWorkspace } from '../helpers/seed.ts';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';

/**
 * AI reply drafts against the real server, with the fake Ollama at OLLAMA_HOST: what the model is
 * asked, what the agent gets back, who may ask, how a missing model or a hung Ollama is explained,
 * and that nothing of it is stored.
 */

const db = testPool();
let app: RunningApp;
let fake: FakeOllama;
let ws: Awaited<ReturnType<typeof seedWorkspace>>;
let other: Awaited<ReturnType<typeof seedWorkspace>>;
let agent: Client;
let supervisor: Client;
let outsider: Client;
let thai: string;
let english: string;
let foreign: string;

const THAI_ANSWER = ['สวัสดีค่ะ ', 'คุณสมหญิง ', 'เดี๋ยวแอดมินตรวจสอบให้นะคะ'];

async function member(workspaceId: string, role: 'agent' | 'supervisor' | 'owner', userId?: string): Promise<Client> {
	if (!userId) {
		const user = await db.query(`insert into users (email, name, password_hash) values ($1, $2, 'x') returning id`, [uniqueEmail(role), role]);
		userId = user.rows[0].id as string;
		await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, $3)`, [workspaceId, userId, role]);
	}
	const { token } = await createSession(db, userId, workspaceId);
	const client = new Client(app.url);
	client.bearer = token;
	return client;
}

const draft = (client: Client, conversationId: string, workspaceId = ws.workspaceId) =>
	client.post(`/api/v1/conversations/${conversationId}/ai-draft`, {}, { 'x-workspace-id': workspaceId });

async function counts(workspaceId: string) {
	const { rows } = await db.query(
		`select (select count(*) from messages where workspace_id = $1)::int as messages,
		        (select count(*) from notes where workspace_id = $1)::int as notes,
		        (select count(*) from audit_log where workspace_id = $1)::int as audit`,
		[workspaceId]
	);
	return rows[0];
}

beforeAll(async () => {
	fake = await startFakeOllama();
	app = await startTestApp({ OLLAMA_HOST: fake.url, OLLAMA_MODEL: 'llama3.2' });
	ws = await seedWorkspace(db);
	other = await seedWorkspace(db);
	await db.query(`update workspaces set name = 'Mai Fashion' where id = $1`, [ws.workspaceId]);
	agent = await member(ws.workspaceId, 'agent');
	supervisor = await member(ws.workspaceId, 'supervisor');
	outsider = await member(other.workspaceId, 'owner', other.userId);
	thai = await seedConversation(db, ws, { customer: 'สมหญิง ใจดี', messages: ['สวัสดีค่ะ', 'เสื้อสีแดงไซซ์ M ยังมีไหมคะ', 'สั่งไปเมื่อวานยังไม่ได้ของเลยค่ะ'] });
	english = await seedConversation(db, ws, { customer: 'John Carter', messages: ['Hi, where is my parcel?'] });
	foreign = await seedConversation(db, other, { customer: 'Other shop customer', messages: ['hello'] });
});
afterEach(() => {
	fake.mode = 'ok';
	fake.models = ['llama3.2:latest'];
	fake.reply = ['Hello', '! We will ', 'check and get back to you.'];
	configureAi(undefined);
});
afterAll(async () => {
	configureAi(undefined);
	await app?.close();
	await fake?.close();
	await db.end();
});

describe('POST /api/v1/conversations/:id/ai-draft', () => {
	it('returns the model’s streamed answer joined, and asks it in Thai with the customer’s own messages', async () => {
		fake.reply = THAI_ANSWER;
		const res = await draft(agent, thai);
		expect(res.status).toBe(200);
		expect(res.json).toEqual({ text: THAI_ANSWER.join(''), model: 'llama3.2' });

		const sent = fake.chats().at(-1)!.json;
		expect(sent.model).toBe('llama3.2');
		expect(sent.stream).toBe(true);
		expect(sent.messages[0].role).toBe('system');
		expect(sent.messages[0].content).toContain('Reply in Thai');
		expect(sent.messages[0].content).toContain('Mai Fashion');
		expect(sent.messages[0].content).toContain('LINE');
		expect(sent.messages.slice(1)).toEqual([
			{ role: 'user', content: 'สวัสดีค่ะ' },
			{ role: 'user', content: 'เสื้อสีแดงไซซ์ M ยังมีไหมคะ' },
			{ role: 'user', content: 'สั่งไปเมื่อวานยังไม่ได้ของเลยค่ะ' }
		]);
	});

	it('asks for English when the customer wrote English, with the agent’s replies as the shop’s turns and the cached orders', async () => {
		const { rows } = await db.query(`select contact_identity_id from conversations where id = $1`, [english]);
		await db.query(
			`insert into messages (workspace_id, conversation_id, connection_id, direction, sender_type, body, sent_at)
			 values ($1, $2, $3, 'out', 'agent', 'Let me look into it.', now())`,
			[ws.workspaceId, english, ws.connectionId]
		);
		await db.query(`insert into messages (workspace_id, conversation_id, connection_id, platform_message_id, direction, sender_type, body, sent_at)
			 values ($1, $2, $3, $4, 'in', 'customer', 'Order ORD-7781, thanks', now() + interval '1 second')`, [ws.workspaceId, english, ws.connectionId, crypto.randomUUID()]);
		await db.query(
			`insert into orders (workspace_id, connection_id, contact_identity_id, external_order_id, status, currency, total, items)
			 values ($1, $2, $3, 'ORD-7781', 'shipped', 'THB', 890, '[{"name":"Linen shirt","quantity":1,"price":"890.00"}]')`,
			[ws.workspaceId, ws.connectionId, rows[0].contact_identity_id]
		);
		const res = await draft(agent, english);
		expect(res.status).toBe(200);
		expect(res.json.text).toBe('Hello! We will check and get back to you.');
		const sent = fake.chats().at(-1)!.json;
		expect(sent.messages[0].content).toContain('Reply in English');
		expect(sent.messages[0].content).toContain('order ORD-7781: status shipped; total 890.00 THB');
		expect(sent.messages[0].content).toContain('1× Linen shirt');
		expect(sent.messages.slice(1).map((m: { role: string }) => m.role)).toEqual(['user', 'assistant', 'user']);
	});

	it('answers 404 for a conversation of another workspace and never asks the model', async () => {
		const before = fake.chats().length;
		expect((await draft(agent, foreign)).status).toBe(404);
		expect((await draft(outsider, thai, other.workspaceId)).status).toBe(404);
		expect((await draft(agent, 'not-a-uuid')).status).toBe(404);
		expect(fake.chats()).toHaveLength(before);
	});

	it('refuses a supervisor with 403: supervisors read but do not reply', async () => {
		const res = await draft(supervisor, thai);
		expect(res.status).toBe(403);
		expect(res.json.error.code).toBe('forbidden');
	});

	it('explains a missing model with 503 ai_unavailable, reason model_missing', async () => {
		fake.models = ['qwen2.5:3b'];
		const res = await draft(agent, english);
		expect(res.status).toBe(503);
		expect(res.json.error).toMatchObject({ code: 'ai_unavailable', reason: 'model_missing' });
		expect(res.json.error.message).toContain('ollama pull llama3.2');
		const status = await agent.get('/api/v1/ai/status', { 'x-workspace-id': ws.workspaceId });
		expect(status.json).toMatchObject({ available: false, model: 'llama3.2', reason: 'model_missing' });
	});

	it('gives up on an Ollama that never answers with reason timeout', async () => {
		configureAi({ timeoutMs: 200, statusTimeoutMs: 200 });
		fake.mode = 'hang';
		const res = await draft(agent, english);
		expect(res.status).toBe(503);
		expect(res.json.error).toMatchObject({ code: 'ai_unavailable', reason: 'timeout' });
		expect((await agent.get('/api/v1/ai/status', { 'x-workspace-id': ws.workspaceId })).json).toMatchObject({ available: false, reason: 'timeout' });
	});

	it('stores nothing of the prompt or the answer: messages, notes and the audit log are unchanged', async () => {
		const marker = `ANSWER-${crypto.randomUUID()}`;
		fake.reply = ['Thanks ', marker];
		const before = await counts(ws.workspaceId);
		const res = await draft(agent, thai);
		expect(res.json.text).toBe(`Thanks ${marker}`);
		expect(await counts(ws.workspaceId)).toEqual(before);
		const { rows } = await db.query(
			`select (select count(*) from messages where body like $1)::int + (select count(*) from notes where body like $1)::int
			      + (select count(*) from audit_log where meta::text like $1)::int
			      + (select count(*) from audit_log where meta::text like '%Reply in Thai%')::int as found`,
			[`%${marker}%`]
		);
		expect(rows[0].found).toBe(0);
	});
});

describe('GET /api/v1/ai/status', () => {
	it('tells any member whether the configured model is ready', async () => {
		for (const client of [agent, supervisor]) {
			const res = await client.get('/api/v1/ai/status', { 'x-workspace-id': ws.workspaceId });
			expect(res.status).toBe(200);
			expect(res.json).toEqual({ available: true, model: 'llama3.2' });
		}
		expect((await new Client(app.url).get('/api/v1/ai/status')).status).toBe(401);
	});
});

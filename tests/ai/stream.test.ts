import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningApp } from '../../server/app.ts';
import { createSession } from '../../src/lib/server/auth/session.ts';
import { configureAi } from '../../src/lib/server/ai/assistant.ts';
import { conversationDoc, conversationDocName, draftText } from '../../src/lib/conversation-doc.ts';
import { readAiDraft, requestAiStop } from '../../src/lib/ai-draft-doc.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { seedConversation, seedWorkspace } from '../helpers/seed.ts';
import { connect, disconnect, waitFor, type Client as DocClient } from '../collab/helpers.ts';
import { DEFAULT_MODELS, startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';

/**
 * AI drafts streamed into the shared draft, against the real server with the fake Ollama at
 * OLLAMA_HOST and agents watching the conversation over the real /collab WebSocket: what the model
 * is asked, how its tokens arrive in every watcher's draft, Stop, an agent's edit inside the AI's
 * text, one stream per conversation, failures, who may ask, and that nothing of it is stored.
 */

const db = testPool();
let app: RunningApp;
let fake: FakeOllama;
let ws: Awaited<ReturnType<typeof seedWorkspace>>;
let other: Awaited<ReturnType<typeof seedWorkspace>>;
let agent: Member;
let second: Member;
let supervisor: Member;
let outsider: Member;
const watchers: DocClient[] = [];

interface Member {
	client: Client;
	token: string;
	userId: string;
}

const THAI_ANSWER = ['สวัสดีค่ะ ', 'คุณสมหญิง ', 'เดี๋ยวแอดมินตรวจสอบให้นะคะ'];
const LONG_ANSWER = Array.from({ length: 60 }, (_, i) => `word${i} `);

async function member(workspaceId: string, role: 'agent' | 'supervisor' | 'owner', userId?: string, name: string = role): Promise<Member> {
	if (!userId) {
		const user = await db.query(`insert into users (email, name, password_hash) values ($1, $2, 'x') returning id`, [uniqueEmail(role), name]);
		userId = user.rows[0].id as string;
		await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, $3)`, [workspaceId, userId, role]);
	}
	const { token } = await createSession(db, userId, workspaceId);
	const client = new Client(app.url);
	client.bearer = token;
	return { client, token, userId };
}

const start = (who: Member, conversationId: string, workspaceId = ws.workspaceId) =>
	who.client.post(`/api/v1/conversations/${conversationId}/ai-draft`, {}, { 'x-workspace-id': workspaceId });
const stop = (who: Member, conversationId: string) =>
	who.client.request('DELETE', `/api/v1/conversations/${conversationId}/ai-draft`, undefined, { 'x-workspace-id': ws.workspaceId });

async function watch(who: Member, conversationId: string): Promise<DocClient> {
	const watcher = connect(app.url.replace(/^http/, 'ws') + '/collab', conversationDocName(conversationId), who.token);
	expect(await watcher.ready).toBe(true);
	watchers.push(watcher);
	return watcher;
}

/** Every distinct draft text a watcher saw, in order. */
function record(watcher: DocClient): string[] {
	const seen: string[] = [];
	conversationDoc(watcher.doc).draft.observeDeep(() => {
		const text = draftText(watcher.doc);
		if (seen.at(-1) !== text) seen.push(text);
	});
	return seen;
}

const conversation = (messages: string[], customer = 'สมหญิง ใจดี') => seedConversation(db, ws, { customer, messages });

beforeAll(async () => {
	fake = await startFakeOllama();
	app = await startTestApp({ OLLAMA_HOST: fake.url });
	ws = await seedWorkspace(db);
	other = await seedWorkspace(db);
	await db.query(`update workspaces set name = 'Mai Fashion' where id = $1`, [ws.workspaceId]);
	agent = await member(ws.workspaceId, 'agent', undefined, 'Somchai');
	second = await member(ws.workspaceId, 'agent', undefined, 'Malee');
	supervisor = await member(ws.workspaceId, 'supervisor');
	outsider = await member(other.workspaceId, 'owner', other.userId);
});
afterEach(() => {
	disconnect(...watchers.splice(0));
	fake.mode = 'ok';
	fake.tokenDelayMs = 0;
	fake.models = [...DEFAULT_MODELS];
	fake.reply = ['Hello', '! We will ', 'check and get back to you.'];
	configureAi(undefined);
});
afterAll(async () => {
	configureAi(undefined);
	await app?.close();
	await fake?.close();
	await db.end();
});

describe('the AI writes into the shared draft', () => {
	it('streams the tokens into the draft as two watching agents see them, with the AI caret and a writing state', async () => {
		const id = await conversation(['สวัสดีค่ะ', 'เสื้อสีแดงไซซ์ M ยังมีไหมคะ']);
		const [mine, theirs] = [await watch(agent, id), await watch(second, id)];
		const seen = record(theirs);
		const states: string[] = [];
		theirs.doc.getMap('ai').observe(() => states.push(readAiDraft(theirs.doc).state));
		let caret: { name?: string; cursor?: unknown } | null = null;
		theirs.provider.awareness!.on('change', () => {
			for (const state of theirs.provider.awareness!.getStates().values()) if (state.user?.name === 'AI' && state.cursor) caret = { name: state.user.name, cursor: state.cursor };
		});
		fake.reply = THAI_ANSWER;
		fake.tokenDelayMs = 40;

		const res = await start(agent, id);
		expect(res.status).toBe(202);
		expect(res.json).toEqual({ model: 'scb10x/typhoon2.1-gemma3-4b' });
		await waitFor(() => readAiDraft(theirs.doc).state === 'writing', 'the writing state');
		expect(readAiDraft(theirs.doc).byName).toBe('Somchai');
		await waitFor(() => draftText(mine.doc) === THAI_ANSWER.join('').trim() && readAiDraft(mine.doc).state === 'idle', 'the whole answer in the draft');
		await waitFor(() => draftText(theirs.doc) === THAI_ANSWER.join('').trim(), 'the whole answer for the other agent');

		// Token by token, not all at once.
		expect(seen).toEqual(expect.arrayContaining(['สวัสดีค่ะ', 'สวัสดีค่ะ คุณสมหญิง']));
		expect(states).toContain('writing');
		expect(readAiDraft(theirs.doc).state).toBe('idle');
		expect(caret).toMatchObject({ name: 'AI' });
		// The caret goes when the AI is done.
		await waitFor(() => ![...theirs.provider.awareness!.getStates().values()].some((s) => s.user?.name === 'AI'), 'the AI caret to go');
	});

	it('asks the model in Thai with the agent’s own particle, the shop, and the customer’s own messages', async () => {
		await db.query(`update memberships set ai_particle = 'khrap' where workspace_id = $1 and user_id = $2`, [ws.workspaceId, agent.userId]);
		const id = await conversation(['สวัสดีค่ะ', 'สั่งไปเมื่อวานยังไม่ได้ของเลยค่ะ']);
		const watcher = await watch(agent, id);
		expect((await start(agent, id)).status).toBe(202);
		await waitFor(() => draftText(watcher.doc) === 'Hello! We will check and get back to you.', 'the answer');
		const sent = fake.chats().at(-1)!.json;
		expect(sent.model).toBe('scb10x/typhoon2.1-gemma3-4b');
		expect(sent.stream).toBe(true);
		expect(sent.messages[0].content).toContain('Reply in Thai');
		expect(sent.messages[0].content).toContain('ครับ, never ค่ะ');
		expect(sent.messages[0].content).toContain('Mai Fashion');
		expect(sent.messages.slice(1)).toEqual([
			{ role: 'user', content: 'สวัสดีค่ะ' },
			{ role: 'user', content: 'สั่งไปเมื่อวานยังไม่ได้ของเลยค่ะ' }
		]);
		await db.query(`update memberships set ai_particle = null where workspace_id = $1 and user_id = $2`, [ws.workspaceId, agent.userId]);
	});

	it('asks for English when the customer wrote English, with the cached orders, and uses the workspace’s own model', async () => {
		await db.query(`update workspaces set ai_model = 'llama3.2' where id = $1`, [ws.workspaceId]);
		const id = await conversation(['Hi, where is my parcel? Order ORD-7781'], 'John Carter');
		const { rows } = await db.query(`select contact_identity_id from conversations where id = $1`, [id]);
		await db.query(
			`insert into orders (workspace_id, connection_id, contact_identity_id, external_order_id, status, currency, total, items)
			 values ($1, $2, $3, 'ORD-7781', 'shipped', 'THB', 890, '[{"name":"Linen shirt","quantity":1,"price":"890.00"}]')`,
			[ws.workspaceId, ws.connectionId, rows[0].contact_identity_id]
		);
		const watcher = await watch(agent, id);
		const res = await start(agent, id);
		expect(res.json).toEqual({ model: 'llama3.2' });
		await waitFor(() => readAiDraft(watcher.doc).state === 'idle' && draftText(watcher.doc) !== '', 'the answer');
		const sent = fake.chats().at(-1)!.json;
		expect(sent.model).toBe('llama3.2');
		expect(sent.messages[0].content).toContain('Reply in English');
		expect(sent.messages[0].content).toContain('order ORD-7781: status shipped; total 890.00 THB');
		await db.query(`update workspaces set ai_model = null where id = $1`, [ws.workspaceId]);
	});

	it('goes below what the agents already wrote, and agents may write before it while it streams', async () => {
		const id = await conversation(['ยังมีของไหมคะ']);
		const watcher = await watch(second, id);
		const { draft } = conversationDoc(watcher.doc);
		const paragraph = (text: string) => {
			const p = new Y.XmlElement('paragraph');
			const t = new Y.XmlText();
			t.insert(0, text);
			p.insert(0, [t]);
			return p;
		};
		draft.insert(0, [paragraph('Hi John,')]);
		fake.reply = LONG_ANSWER.slice(0, 15);
		fake.tokenDelayMs = 30;
		expect((await start(agent, id)).status).toBe(202);
		await waitFor(() => draftText(watcher.doc).includes('word2'), 'the first tokens');
		draft.insert(0, [paragraph('Greeting line')]);
		await waitFor(() => readAiDraft(watcher.doc).state === 'idle', 'the end of the stream');
		expect(draftText(watcher.doc)).toBe(`Greeting line\nHi John,\n${LONG_ANSWER.slice(0, 15).join('').trim()}`);
		expect(fake.chats().at(-1)!.aborted).toBe(false);
	});
});

describe('stopping the AI', () => {
	it('Stop aborts the request at Ollama; the text so far stays and everyone sees the AI stop', async () => {
		const id = await conversation(['Do you have it in blue?'], 'Pim');
		const watcher = await watch(second, id);
		fake.reply = LONG_ANSWER;
		fake.tokenDelayMs = 40;
		const aborted = fake.chats().filter((r) => r.aborted).length;
		expect((await start(agent, id)).status).toBe(202);
		await waitFor(() => draftText(watcher.doc).includes('word2'), 'some tokens');
		const res = await stop(second, id);
		expect(res.status).toBe(200);
		expect(res.json).toEqual({ outcome: 'stopped' });
		const chat = (await fake.abortedChats(aborted + 1)).at(-1)!;
		expect(chat.sent).toBeLessThan(LONG_ANSWER.length);
		await waitFor(() => readAiDraft(watcher.doc).state === 'idle', 'the idle state');
		const text = draftText(watcher.doc);
		expect(text.startsWith('word0 word1 word2')).toBe(true);
		expect(text).not.toContain(`word${LONG_ANSWER.length - 1}`);
		expect((await stop(second, id)).json.error.code).toBe('not_streaming');
	});

	it('Stop through the document (what the button does) aborts the request at Ollama too', async () => {
		const id = await conversation(['Is it cotton?'], 'Pim');
		const watcher = await watch(second, id);
		fake.reply = LONG_ANSWER;
		fake.tokenDelayMs = 40;
		const aborted = fake.chats().filter((r) => r.aborted).length;
		expect((await start(agent, id)).status).toBe(202);
		await waitFor(() => draftText(watcher.doc).includes('word2'), 'some tokens');
		requestAiStop(watcher.doc);
		expect((await fake.abortedChats(aborted + 1)).at(-1)!.sent).toBeLessThan(LONG_ANSWER.length);
		await waitFor(() => readAiDraft(watcher.doc).state === 'idle', 'the idle state');
		expect(draftText(watcher.doc).startsWith('word0 word1 word2')).toBe(true);
		expect(watcher.doc.getMap('ai').has('stopRequestedAt')).toBe(false);
		expect((await stop(second, id)).status).toBe(404);
	});

	it('an agent’s edit inside the AI’s text stops it and leaves the text to the agents', async () => {
		const id = await conversation(['How much is shipping?'], 'Pim');
		const watcher = await watch(second, id);
		fake.reply = LONG_ANSWER;
		fake.tokenDelayMs = 40;
		const aborted = fake.chats().filter((r) => r.aborted).length;
		expect((await start(agent, id)).status).toBe(202);
		await waitFor(() => draftText(watcher.doc).includes('word3'), 'some tokens');
		const aiText = (conversationDoc(watcher.doc).draft.get(0) as Y.XmlElement).get(0) as Y.XmlText;
		aiText.insert(0, 'EDITED ');
		await fake.abortedChats(aborted + 1);
		await waitFor(() => readAiDraft(watcher.doc).state === 'idle', 'the idle state');
		const text = draftText(watcher.doc);
		expect(text.startsWith('EDITED word0')).toBe(true);
		expect(text).not.toContain(`word${LONG_ANSWER.length - 1}`);
	});

	it('one AI draft per conversation at a time: a second start answers 409 ai_draft_running', async () => {
		const id = await conversation(['Hello?'], 'Pim');
		const watcher = await watch(agent, id);
		fake.reply = LONG_ANSWER.slice(0, 20);
		fake.tokenDelayMs = 30;
		expect((await start(agent, id)).status).toBe(202);
		const again = await start(second, id);
		expect(again.status).toBe(409);
		expect(again.json.error.code).toBe('ai_draft_running');
		await waitFor(() => readAiDraft(watcher.doc).state === 'idle', 'the end of the first stream');
		expect(fake.chats().filter((c) => c.json.messages.at(-1).content === 'Hello?')).toHaveLength(1);
		// Once it is done, another may start.
		expect((await start(second, id)).status).toBe(202);
		await waitFor(() => readAiDraft(watcher.doc).state === 'idle' && fake.chats().at(-1)!.sent === 20, 'the second stream');
	});
});

describe('when Ollama fails', () => {
	it('an error in the middle of the stream leaves the partial text marked interrupted', async () => {
		const id = await conversation(['ส่งของวันไหนคะ']);
		const watcher = await watch(agent, id);
		fake.mode = 'midstream-error';
		fake.reply = ['ส่งของพรุ่งนี้', 'ค่ะ'];
		expect((await start(agent, id)).status).toBe(202);
		await waitFor(() => readAiDraft(watcher.doc).state === 'interrupted', 'the interrupted state');
		expect(readAiDraft(watcher.doc)).toMatchObject({ state: 'interrupted', reason: 'bad_response', byName: 'Somchai' });
		expect(draftText(watcher.doc)).toBe('ส่งของพรุ่งนี้');
	});

	it('a model that stops answering before its first letter leaves no empty span, only a failed state', async () => {
		configureAi({ timeoutMs: 200 });
		const id = await conversation(['ยังอยู่ไหมคะ']);
		const watcher = await watch(agent, id);
		fake.mode = 'stall';
		fake.reply = [''];
		expect((await start(agent, id)).status).toBe(202);
		await waitFor(() => readAiDraft(watcher.doc).state === 'failed', 'the failed state');
		expect(readAiDraft(watcher.doc).reason).toBe('timeout');
		expect(conversationDoc(watcher.doc).draft.length).toBe(0);
	});

	it('explains a missing model with 503 ai_unavailable and the exact pull command, and writes nothing', async () => {
		fake.models = ['qwen2.5:3b'];
		const id = await conversation(['Hi'], 'Pim');
		const watcher = await watch(agent, id);
		const res = await start(agent, id);
		expect(res.status).toBe(503);
		expect(res.json.error).toMatchObject({ code: 'ai_unavailable', reason: 'model_missing' });
		expect(res.json.error.message).toContain('ollama pull scb10x/typhoon2.1-gemma3-4b');
		const status = await agent.client.get('/api/v1/ai/status', { 'x-workspace-id': ws.workspaceId });
		expect(status.json).toMatchObject({
			available: false,
			model: 'scb10x/typhoon2.1-gemma3-4b',
			reachable: true,
			present: false,
			reason: 'model_missing',
			pullCommand: 'ollama pull scb10x/typhoon2.1-gemma3-4b'
		});
		expect(conversationDoc(watcher.doc).draft.length).toBe(0);
		expect(readAiDraft(watcher.doc).state).toBe('idle');
	});
});

describe('who may ask, and privacy', () => {
	it('answers 404 for a conversation of another workspace and never asks the model', async () => {
		const foreign = await seedConversation(db, other, { customer: 'Other shop customer', messages: ['hello'] });
		const id = await conversation(['hello']);
		const before = fake.chats().length;
		expect((await start(agent, foreign)).status).toBe(404);
		expect((await start(outsider, id, other.workspaceId)).status).toBe(404);
		expect((await start(agent, 'not-a-uuid')).status).toBe(404);
		expect(fake.chats()).toHaveLength(before);
	});

	it('refuses a supervisor with 403, to start and to stop: supervisors read but do not reply', async () => {
		const id = await conversation(['hello']);
		const res = await start(supervisor, id);
		expect(res.status).toBe(403);
		expect(res.json.error.code).toBe('forbidden');
		expect((await stop(supervisor, id)).status).toBe(403);
	});

	it('stores nothing of the prompt or the answer: messages, notes and the audit log are unchanged', async () => {
		const marker = `ANSWER-${crypto.randomUUID()}`;
		fake.reply = ['Thanks ', marker];
		const id = await conversation(['ขอบคุณค่ะ']);
		const watcher = await watch(agent, id);
		const counts = async () =>
			(
				await db.query(
					`select (select count(*) from messages where workspace_id = $1)::int as messages,
					        (select count(*) from notes where workspace_id = $1)::int as notes,
					        (select count(*) from audit_log where workspace_id = $1)::int as audit`,
					[ws.workspaceId]
				)
			).rows[0];
		const before = await counts();
		expect((await start(agent, id)).status).toBe(202);
		await waitFor(() => draftText(watcher.doc) === `Thanks ${marker}` && readAiDraft(watcher.doc).state === 'idle', 'the answer');
		expect(await counts()).toEqual(before);
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
	it('tells any member whether the workspace’s model is ready, with its size', async () => {
		for (const who of [agent, supervisor]) {
			const res = await who.client.get('/api/v1/ai/status', { 'x-workspace-id': ws.workspaceId });
			expect(res.status).toBe(200);
			expect(res.json).toEqual({
				available: true,
				model: 'scb10x/typhoon2.1-gemma3-4b',
				reachable: true,
				present: true,
				size: 2_614_000_000,
				parameterSize: '3.88B',
				pullCommand: 'ollama pull scb10x/typhoon2.1-gemma3-4b'
			});
		}
		expect((await new Client(app.url).get('/api/v1/ai/status')).status).toBe(401);
	});
});

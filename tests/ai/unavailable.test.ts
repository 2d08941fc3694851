import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import type { RunningApp } from '../../server/app.ts';
import { createSession } from '../../src/lib/server/auth/session.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool } from '../helpers/db.ts';
import { seedConversation, seedWorkspace } from '../helpers/seed.ts';
import { connect, disconnect } from '../collab/helpers.ts';
import { conversationDoc, conversationDocName } from '../../src/lib/conversation-doc.ts';
import { readAiDraft } from '../../src/lib/ai-draft-doc.ts';

/** With no Ollama at OLLAMA_HOST, AI drafts say so clearly and everything else keeps working. */

const db = testPool();
let app: RunningApp;
let host: string;
let owner: Client;
let ws: Awaited<ReturnType<typeof seedWorkspace>>;
let conversation: string;

beforeAll(async () => {
	// A port that was just free: nothing listens there.
	const probe = createServer();
	await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
	host = `http://127.0.0.1:${(probe.address() as { port: number }).port}`;
	await new Promise((resolve) => probe.close(resolve));

	app = await startTestApp({ OLLAMA_HOST: host });
	ws = await seedWorkspace(db);
	conversation = await seedConversation(db, ws, { customer: 'Nok', messages: ['ยังมีของไหมคะ'] });
	owner = new Client(app.url);
	owner.bearer = (await createSession(db, ws.userId, ws.workspaceId)).token;
});
afterAll(async () => {
	await app?.close();
	await db.end();
});

const headers = () => ({ 'x-workspace-id': ws.workspaceId });

describe('when Ollama is not running', () => {
	it('answers 503 ai_unavailable, reason unreachable, with a sentence that names the host', async () => {
		const res = await owner.post(`/api/v1/conversations/${conversation}/ai-draft`, {}, headers());
		expect(res.status).toBe(503);
		expect(res.json.error).toMatchObject({ code: 'ai_unavailable', reason: 'unreachable' });
		expect(res.json.error.message).toBe(`The AI assistant is not running (Ollama at ${host} did not answer). Replies still work; start Ollama or set OLLAMA_HOST.`);
		const status = await owner.get('/api/v1/ai/status', headers());
		expect(status.status).toBe(200);
		expect(status.json).toMatchObject({
			available: false,
			model: 'scb10x/typhoon2.1-gemma3-4b',
			reachable: false,
			present: false,
			reason: 'unreachable',
			pullCommand: 'ollama pull scb10x/typhoon2.1-gemma3-4b'
		});
	});

	it('writes nothing into the draft and leaves no AI state behind', async () => {
		const watcher = connect(app.url.replace(/^http/, 'ws') + '/collab', conversationDocName(conversation), owner.bearer);
		expect(await watcher.ready).toBe(true);
		try {
			expect((await owner.post(`/api/v1/conversations/${conversation}/ai-draft`, {}, headers())).status).toBe(503);
			expect(conversationDoc(watcher.doc).draft.length).toBe(0);
			expect(readAiDraft(watcher.doc).state).toBe('idle');
			expect((await owner.request('DELETE', `/api/v1/conversations/${conversation}/ai-draft`, undefined, headers())).json.error.code).toBe('not_streaming');
		} finally {
			disconnect(watcher);
		}
	});

	it('still sends a normal reply', async () => {
		const res = await owner.post(`/api/v1/conversations/${conversation}/replies`, { body: 'มีค่ะ', idempotencyKey: crypto.randomUUID() }, headers());
		expect(res.status).toBe(202);
		expect(res.json.reply).toMatchObject({ conversationId: conversation, body: 'มีค่ะ', deliveryState: 'queued' });
	});
});

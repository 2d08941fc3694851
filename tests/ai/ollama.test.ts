import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer } from 'node:net';
import { AiUnavailable, createOllama, sameModel } from '../../src/lib/server/ai/ollama.ts';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';

/** The Ollama client against the fake that speaks Ollama's real API. */

let fake: FakeOllama;
beforeAll(async () => {
	fake = await startFakeOllama();
});
afterAll(() => fake.close());
afterEach(() => {
	fake.mode = 'ok';
	fake.models = ['llama3.2:latest'];
	fake.reply = ['Hello', '! We will ', 'check and get back to you.'];
});

async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as { port: number };
	await new Promise((resolve) => server.close(resolve));
	return port;
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
	const error = await promise.then(
		() => null,
		(e: unknown) => e
	);
	expect(error).toBeInstanceOf(AiUnavailable);
	return (error as AiUnavailable).reason;
}

describe('the Ollama client', () => {
	it('joins the streamed chunks into one answer and asks for the configured model', async () => {
		fake.reply = ['สวัสดี', 'ค่ะ ', 'ยินดีให้บริการค่ะ'];
		const ollama = createOllama({ host: fake.url + '/', model: 'llama3.2' });
		const answer = await ollama.chat({ messages: [{ role: 'user', content: 'hi' }], temperature: 0.2, maxTokens: 100 });
		expect(answer).toEqual({ text: 'สวัสดีค่ะ ยินดีให้บริการค่ะ', model: 'llama3.2' });
		const sent = fake.chats().at(-1)!.json;
		expect(sent).toMatchObject({ model: 'llama3.2', stream: true, messages: [{ role: 'user', content: 'hi' }], options: { temperature: 0.2, num_predict: 100 } });
		expect(typeof sent.keep_alive).toBe('string');
	});

	it('says the model is missing when Ollama answers 404 model not found', async () => {
		fake.models = ['qwen2.5:3b'];
		const ollama = createOllama({ host: fake.url, model: 'llama3.2' });
		expect(await reasonOf(ollama.chat({ messages: [{ role: 'user', content: 'hi' }] }))).toBe('model_missing');
		expect(await ollama.status()).toEqual({ available: false, model: 'llama3.2', reason: 'model_missing' });
	});

	it('says Ollama is unreachable when nothing listens at the host', async () => {
		const ollama = createOllama({ host: `http://127.0.0.1:${await closedPort()}`, model: 'llama3.2' });
		const error = await ollama.chat({ messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
		expect(error).toBeInstanceOf(AiUnavailable);
		expect((error as AiUnavailable).reason).toBe('unreachable');
		expect((error as AiUnavailable).message).toContain('did not answer');
		expect(await ollama.status()).toMatchObject({ available: false, reason: 'unreachable' });
	});

	it('gives up with a timeout when Ollama never answers', async () => {
		fake.mode = 'hang';
		const ollama = createOllama({ host: fake.url, model: 'llama3.2', timeoutMs: 150, statusTimeoutMs: 150 });
		expect(await reasonOf(ollama.chat({ messages: [{ role: 'user', content: 'hi' }] }))).toBe('timeout');
		expect(await ollama.status()).toMatchObject({ available: false, reason: 'timeout' });
	});

	it('treats an error line in the middle of the stream as a bad response, not a partial answer', async () => {
		fake.mode = 'midstream-error';
		const ollama = createOllama({ host: fake.url, model: 'llama3.2' });
		expect(await reasonOf(ollama.chat({ messages: [{ role: 'user', content: 'hi' }] }))).toBe('bad_response');
	});

	it('rethrows the caller’s own abort rather than calling it a timeout', async () => {
		fake.mode = 'hang';
		const ollama = createOllama({ host: fake.url, model: 'llama3.2', timeoutMs: 60_000 });
		const controller = new AbortController();
		const pending = ollama.chat({ messages: [{ role: 'user', content: 'hi' }], signal: controller.signal }).catch((e: unknown) => e);
		controller.abort(new Error('client went away'));
		const error = await pending;
		expect(error).not.toBeInstanceOf(AiUnavailable);
		expect((error as Error).message).toBe('client went away');
	});

	it('finds the configured model in the model list, with or without its :latest tag', async () => {
		expect(await createOllama({ host: fake.url, model: 'llama3.2' }).status()).toEqual({ available: true, model: 'llama3.2' });
		expect(await createOllama({ host: fake.url, model: 'llama3.2:latest' }).status()).toEqual({ available: true, model: 'llama3.2:latest' });
		expect(await createOllama({ host: fake.url, model: 'llama3.2:1b' }).status()).toMatchObject({ available: false, reason: 'model_missing' });
		expect(sameModel('llama3.2:latest', 'llama3.2')).toBe(true);
		expect(sameModel('llama3.2:1b', 'llama3.2')).toBe(false);
	});

	it('the fake answers a non-streaming chat with one JSON object, as Ollama does', async () => {
		const res = await fetch(fake.url + '/api/chat', { method: 'POST', body: JSON.stringify({ model: 'llama3.2', messages: [], stream: false }) });
		expect(res.headers.get('content-type')).toContain('application/json');
		expect(await res.json()).toMatchObject({ model: 'llama3.2', message: { role: 'assistant', content: 'Hello! We will check and get back to you.' }, done: true });
	});
});

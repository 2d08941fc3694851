import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:net';
import { AiUnavailable, modelHealth, sameModel, streamChat, type ModelOptions } from '../../src/lib/server/ai/model.ts';
import { DEFAULT_MODELS, startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';

/** ChatMai's use of the official Ollama client, against the fake that speaks Ollama's real API. */

let fake: FakeOllama;
beforeAll(async () => {
	fake = await startFakeOllama();
});
afterAll(() => fake.close());
afterEach(() => {
	fake.mode = 'ok';
	fake.tokenDelayMs = 0;
	fake.models = [...DEFAULT_MODELS];
	fake.reply = ['Hello', '! We will ', 'check and get back to you.'];
});

async function closedPort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as { port: number };
	await new Promise((resolve) => server.close(resolve));
	return port;
}

const hi = [{ role: 'user' as const, content: 'hi' }];

async function collect(options: ModelOptions, signal = new AbortController().signal): Promise<string[]> {
	const pieces: string[] = [];
	for await (const piece of streamChat(options, { messages: hi, signal, temperature: 0.2, maxTokens: 100 })) pieces.push(piece);
	return pieces;
}

async function reasonOf(promise: Promise<unknown>): Promise<string> {
	const error = await promise.then(
		() => null,
		(e: unknown) => e
	);
	expect(error).toBeInstanceOf(AiUnavailable);
	return (error as AiUnavailable).reason;
}

describe('streaming a chat through the official client', () => {
	it('yields each piece as Ollama streams it and asks for the configured model', async () => {
		fake.reply = ['สวัสดี', 'ค่ะ ', 'ยินดีให้บริการค่ะ'];
		const pieces = await collect({ host: fake.url, model: 'scb10x/typhoon2.1-gemma3-4b' });
		expect(pieces).toEqual(['สวัสดี', 'ค่ะ ', 'ยินดีให้บริการค่ะ']);
		const sent = fake.chats().at(-1)!;
		expect(sent.json).toMatchObject({ model: 'scb10x/typhoon2.1-gemma3-4b', stream: true, messages: hi, options: { temperature: 0.2, num_predict: 100 } });
		expect(typeof sent.json.keep_alive).toBe('string');
		expect(sent.aborted).toBe(false);
	});

	it('says the model is missing when Ollama answers 404 model not found', async () => {
		fake.models = ['qwen2.5:3b'];
		expect(await reasonOf(collect({ host: fake.url, model: 'llama3.2' }))).toBe('model_missing');
	});

	it('says Ollama is unreachable when nothing listens at the host', async () => {
		expect(await reasonOf(collect({ host: `http://127.0.0.1:${await closedPort()}`, model: 'llama3.2' }))).toBe('unreachable');
	});

	it('gives up with a timeout when Ollama never answers, and when it stalls after the first piece', async () => {
		fake.mode = 'hang';
		expect(await reasonOf(collect({ host: fake.url, model: 'llama3.2', timeoutMs: 150 }))).toBe('timeout');
		fake.mode = 'stall';
		const pieces: string[] = [];
		const stalled = (async () => {
			for await (const piece of streamChat({ host: fake.url, model: 'llama3.2', timeoutMs: 150 }, { messages: hi, signal: new AbortController().signal })) pieces.push(piece);
		})();
		expect(await reasonOf(stalled)).toBe('timeout');
		expect(pieces).toEqual(['Hello']);
		expect((await fake.abortedChats(1)).at(-1)!.sent).toBe(1);
	});

	it('treats an error line in the middle of the stream as a bad response after the pieces before it', async () => {
		fake.mode = 'midstream-error';
		const pieces: string[] = [];
		const failing = (async () => {
			for await (const piece of streamChat({ host: fake.url, model: 'llama3.2' }, { messages: hi, signal: new AbortController().signal })) pieces.push(piece);
		})();
		expect(await reasonOf(failing)).toBe('bad_response');
		expect(pieces).toEqual(['Hello']);
	});

	it('fails a stream with a line that is not JSON as a bad response, and prints none of it', async () => {
		fake.mode = 'garbage';
		fake.reply = ['Hello', 'SECRET-ANSWER-TEXT'];
		const printed: unknown[] = [];
		const spies = (['log', 'warn', 'error', 'info'] as const).map((name) => vi.spyOn(console, name).mockImplementation((...args) => void printed.push(...args)));
		try {
			expect(await reasonOf(collect({ host: fake.url, model: 'llama3.2' }))).toBe('bad_response');
		} finally {
			spies.forEach((spy) => spy.mockRestore());
		}
		expect(JSON.stringify(printed)).not.toContain('SECRET-ANSWER-TEXT');
	});

	it('closes the request at Ollama when the caller aborts, and rethrows the caller’s reason', async () => {
		fake.tokenDelayMs = 50;
		fake.reply = Array.from({ length: 40 }, (_, i) => `t${i} `);
		const before = fake.chats().filter((r) => r.aborted).length;
		const controller = new AbortController();
		const pieces: string[] = [];
		const error = await (async () => {
			for await (const piece of streamChat({ host: fake.url, model: 'llama3.2' }, { messages: hi, signal: controller.signal })) {
				pieces.push(piece);
				if (pieces.length === 2) controller.abort(new Error('agent pressed stop'));
			}
		})().catch((e: unknown) => e);
		expect(error).not.toBeInstanceOf(AiUnavailable);
		expect((error as Error).message).toBe('agent pressed stop');
		const aborted = (await fake.abortedChats(before + 1)).at(-1)!;
		expect(aborted.sent).toBeLessThan(40);
	});
});

describe('the model’s health', () => {
	it('reports Ollama reachable, the model present, its size and parameters', async () => {
		const health = await modelHealth({ host: fake.url, model: 'scb10x/typhoon2.1-gemma3-4b' });
		expect(health).toEqual({
			host: fake.url,
			model: 'scb10x/typhoon2.1-gemma3-4b',
			reachable: true,
			present: true,
			size: 2_614_000_000,
			parameterSize: '3.88B',
			pullCommand: 'ollama pull scb10x/typhoon2.1-gemma3-4b'
		});
	});

	it('reports a missing model with the exact pull command, and an absent or hung Ollama', async () => {
		fake.models = ['qwen2.5:3b'];
		expect(await modelHealth({ host: fake.url, model: 'scb10x/typhoon2.1-gemma3-4b' })).toMatchObject({
			reachable: true,
			present: false,
			size: null,
			reason: 'model_missing',
			pullCommand: 'ollama pull scb10x/typhoon2.1-gemma3-4b'
		});
		expect(await modelHealth({ host: `http://127.0.0.1:${await closedPort()}`, model: 'llama3.2' })).toMatchObject({ reachable: false, present: false, reason: 'unreachable' });
		fake.mode = 'hang';
		expect(await modelHealth({ host: fake.url, model: 'llama3.2', statusTimeoutMs: 150 })).toMatchObject({ reachable: false, reason: 'timeout' });
	});

	it('finds the model in the list with or without its :latest tag', async () => {
		expect(await modelHealth({ host: fake.url, model: 'llama3.2:latest' })).toMatchObject({ present: true });
		expect(await modelHealth({ host: fake.url, model: 'llama3.2:1b' })).toMatchObject({ present: false, reason: 'model_missing' });
		expect(sameModel('llama3.2:latest', 'llama3.2')).toBe(true);
		expect(sameModel('scb10x/typhoon2.1-gemma3-4b:latest', 'scb10x/typhoon2.1-gemma3-4b')).toBe(true);
		expect(sameModel('llama3.2:1b', 'llama3.2')).toBe(false);
	});

	it('the fake answers /api/show for an installed model and 404 for another, as Ollama does', async () => {
		const shown = await fetch(fake.url + '/api/show', { method: 'POST', body: JSON.stringify({ model: 'llama3.2' }) });
		expect(await shown.json()).toMatchObject({ details: { parameter_size: '3.88B' }, capabilities: ['completion', 'tools'] });
		const missing = await fetch(fake.url + '/api/show', { method: 'POST', body: JSON.stringify({ model: 'nope' }) });
		expect(missing.status).toBe(404);
		expect(await missing.json()).toEqual({ error: "model 'nope' not found" });
	});
});

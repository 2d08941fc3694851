/**
 * A local fake of Ollama's HTTP API (https://docs.ollama.com/api), on port 0, for tests: no model can
 * be downloaded here. It answers in Ollama's real shapes:
 *
 * - `GET /api/tags` → `{ models: [{ name, model, modified_at, size, digest, details }] }`
 * - `POST /api/chat` → with `stream` absent or true, NDJSON (`application/x-ndjson`): one
 *   `{ model, created_at, message: { role: 'assistant', content }, done: false }` line per chunk, then
 *   `{ …, message: { content: '' }, done: true, done_reason: 'stop', total_duration, … }`; with
 *   `stream: false`, one JSON object with the whole message.
 * - `POST /api/show` `{ model }` → `{ license, modelfile, parameters, template, details, model_info, capabilities, modified_at }`
 * - an unknown model → 404 `{ error: "model 'x' not found" }`.
 *
 * `mode` makes it misbehave: 'hang' accepts requests and never answers; 'midstream-error' sends one
 * chunk and then an `{ error }` line, as Ollama does when a model fails after the stream started;
 * 'stall' sends the first chunk and then nothing more, keeping the connection open; 'garbage' sends
 * one chunk and then a line that is not JSON (a proxy's error page, say). `tokenDelayMs`
 * spaces the chunks (a slow model). Every request is recorded with its parsed JSON body, and for a
 * chat whether the client closed the connection before the answer was complete (`aborted`).
 */
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OllamaRequest {
	method: string;
	path: string;
	json: any;
	/** The client closed the connection before the whole answer was sent (a chat only). */
	aborted: boolean;
	/** Chunks written before the end or the abort (a chat only). */
	sent: number;
	/** CLOCK_MONOTONIC in ms (process.hrtime): when the request had arrived, and when each chunk was written (benchmarks). */
	receivedAt: number;
	chunkAt: number[];
}

export type FakeOllamaMode = 'ok' | 'hang' | 'midstream-error' | 'stall' | 'garbage';

export interface FakeOllama {
	url: string;
	requests: OllamaRequest[];
	/** The chats only (`POST /api/chat`). */
	chats(): OllamaRequest[];
	/** Installed models, as `ollama list` names them. @default DEFAULT_MODELS */
	models: string[];
	/** The chunks of the next answers' `message.content`. */
	reply: string[];
	mode: FakeOllamaMode;
	/** Milliseconds between two chunks of a chat. @default 0 */
	tokenDelayMs: number;
	/** Resolves once `count` chats have ended with the client closing the connection early. */
	abortedChats(count?: number): Promise<OllamaRequest[]>;
	close(): Promise<void>;
}

const DIGEST = 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72';

function installed(models: string[], wanted: unknown): boolean {
	if (typeof wanted !== 'string') return false;
	const tagged = (n: string) => (n.includes(':') ? n : `${n}:latest`);
	return models.some((m) => tagged(m) === tagged(wanted));
}

const DETAILS = { parent_model: '', format: 'gguf', family: 'gemma3', families: ['gemma3'], parameter_size: '3.88B', quantization_level: 'Q4_K_M' };

const monotonicMs = () => Number(process.hrtime.bigint() / 1000n) / 1000;

function send(res: ServerResponse, status: number, body: unknown): void {
	res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
	res.end(JSON.stringify(body));
}

/** What the fake has installed unless told otherwise: ChatMai's default model and llama3.2. */
export const DEFAULT_MODELS = ['scb10x/typhoon2.1-gemma3-4b:latest', 'llama3.2:latest'] as const;

/** `port` 0 (the default) picks a free one; e2e tests use Ollama's own 11434, where the server looks by default. */
export async function startFakeOllama(options: { models?: string[]; reply?: string[]; port?: number } = {}): Promise<FakeOllama> {
	const fake: Omit<FakeOllama, 'url' | 'close'> = {
		requests: [],
		chats: () => fake.requests.filter((r) => r.method === 'POST' && r.path === '/api/chat'),
		models: options.models ?? [...DEFAULT_MODELS],
		reply: options.reply ?? ['Hello', '! We will ', 'check and get back to you.'],
		mode: 'ok',
		tokenDelayMs: 0,
		abortedChats: (count = 1) =>
			new Promise((resolve) => {
				const check = () => {
					const aborted = fake.chats().filter((r) => r.aborted);
					if (aborted.length >= count) resolve(aborted);
					else abortWaiters.push(check);
				};
				check();
			})
	};
	const abortWaiters: (() => void)[] = [];
	const notifyAborted = () => abortWaiters.splice(0).forEach((check) => check());

	const server = createServer(async (req, res) => {
		const chunks: Buffer[] = [];
		for await (const chunk of req) chunks.push(chunk as Buffer);
		const text = Buffer.concat(chunks).toString('utf8');
		let json: any = null;
		try {
			json = text ? JSON.parse(text) : null;
		} catch {
			json = null;
		}
		const path = new URL(req.url ?? '/', 'http://fake').pathname;
		const request: OllamaRequest = { method: req.method ?? 'GET', path, json, aborted: false, sent: 0, receivedAt: monotonicMs(), chunkAt: [] };
		fake.requests.push(request);
		if (fake.mode === 'hang') return; // the socket stays open until the client gives up or close()

		if (req.method === 'GET' && path === '/api/tags') {
			return send(res, 200, {
				models: fake.models.map((name) => ({
					name,
					model: name,
					modified_at: '2026-01-05T10:00:00.000000+07:00',
					size: 2_614_000_000,
					digest: DIGEST,
					details: DETAILS
				}))
			});
		}
		if (req.method === 'POST' && path === '/api/show') {
			if (!installed(fake.models, json?.model)) return send(res, 404, { error: `model '${json?.model}' not found` });
			return send(res, 200, {
				license: 'Gemma Terms of Use',
				modelfile: `FROM ${json.model}`,
				parameters: 'stop "<end_of_turn>"\ntemperature 0.6',
				template: '{{ .Prompt }}',
				details: DETAILS,
				model_info: { 'general.architecture': 'gemma3', 'general.parameter_count': 3_880_000_000, 'gemma3.context_length': 131072 },
				capabilities: ['completion', 'tools'],
				modified_at: '2026-01-05T10:00:00.000000+07:00'
			});
		}
		if (req.method === 'POST' && path === '/api/chat') {
			if (!json) return send(res, 400, { error: 'missing request body' });
			if (!installed(fake.models, json.model)) return send(res, 404, { error: `model '${json.model}' not found` });
			const at = () => new Date().toISOString();
			const stats = { total_duration: 4353619900, load_duration: 63915300, prompt_eval_count: 42, prompt_eval_duration: 246847000, eval_count: 17, eval_duration: 4032296000 };
			if (json.stream === false) {
				return send(res, 200, { model: json.model, created_at: at(), message: { role: 'assistant', content: fake.reply.join('') }, done_reason: 'stop', done: true, ...stats });
			}
			res.writeHead(200, { 'content-type': 'application/x-ndjson' });
			let closed = false;
			res.on('close', () => {
				closed = true;
				if (!res.writableFinished) {
					request.aborted = true;
					notifyAborted();
				}
			});
			const line = (value: unknown) => res.write(JSON.stringify(value) + '\n');
			const parts = fake.mode === 'midstream-error' || fake.mode === 'stall' || fake.mode === 'garbage' ? fake.reply.slice(0, 1) : fake.reply;
			for (const content of parts) {
				if (closed) return;
				line({ model: json.model, created_at: at(), message: { role: 'assistant', content }, done: false });
				request.chunkAt.push(monotonicMs());
				request.sent++;
				await new Promise((resolve) => (fake.tokenDelayMs > 0 ? setTimeout(resolve, fake.tokenDelayMs) : setImmediate(resolve)));
			}
			if (closed || fake.mode === 'stall') return; // 'stall': the connection stays open, nothing more comes
			if (fake.mode === 'garbage') res.write(`<html>502 ${fake.reply.slice(1).join('')}</html>\n`);
			else if (fake.mode === 'midstream-error') line({ error: 'an error was encountered while running the model' });
			else line({ model: json.model, created_at: at(), message: { role: 'assistant', content: '' }, done_reason: 'stop', done: true, ...stats });
			return res.end();
		}
		send(res, 404, { error: '404 page not found' });
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(options.port ?? 0, '127.0.0.1', resolve);
	});
	const { port } = server.address() as AddressInfo;

	return Object.assign(fake, {
		url: `http://127.0.0.1:${port}`,
		close() {
			server.closeAllConnections();
			return new Promise<void>((resolve) => server.close(() => resolve()));
		}
	});
}

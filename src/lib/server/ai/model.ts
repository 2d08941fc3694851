/**
 * The local LLM runtime, Ollama, through its official client (https://github.com/ollama/ollama-js,
 * API: https://docs.ollama.com/api): `chat({ stream: true })` for a draft, `list()` and `show()`
 * for its health. This file turns what the client throws into a few reasons the UI explains.
 *
 * Privacy: nothing here is stored, and nothing is logged but reasons; what is sent and what comes
 * back lives in memory for the one request (docs/PRIVACY.md: AI processing is real-time, not stored).
 */
import { DomainError } from '../errors.ts';
import { Ollama, type AbortableAsyncIterator, type ChatResponse, type Message } from 'ollama/browser';

export const AI_UNAVAILABLE_REASONS = ['unreachable', 'model_missing', 'timeout', 'bad_response'] as const;
export type AiUnavailableReason = (typeof AI_UNAVAILABLE_REASONS)[number];

/** Ollama did not give a usable answer; `reason` says why, the message says it in a sentence. */
export class AiUnavailable extends DomainError<'ai_unavailable'> {
	readonly reason: AiUnavailableReason;
	constructor(reason: AiUnavailableReason, message: string) {
		super(503, 'ai_unavailable', message, { details: { reason } });
		this.name = 'AiUnavailable';
		this.reason = reason;
	}
}

export type ChatMessage = Pick<Message, 'role' | 'content'> & { role: 'system' | 'user' | 'assistant' };

export interface ModelOptions {
	/** Base URL, e.g. http://127.0.0.1:11434 (config.ollamaHost). */
	host: string;
	/** The model to chat with: the workspace's, else config.ollamaModel. */
	model: string;
	/** Longest wait for the first token, and then between two tokens. @default 60_000 */
	timeoutMs?: number;
	/** Longest wait for the model list or a model's details. @default 3_000 */
	statusTimeoutMs?: number;
	/** How long Ollama keeps the model loaded after a chat (its `keep_alive`). @default '10m' */
	keepAlive?: string;
	fetch?: typeof fetch;
}

export interface ChatRequest {
	messages: ChatMessage[];
	/** @default 0.4 */
	temperature?: number;
	/** Most tokens to generate (Ollama's `options.num_predict`). */
	maxTokens?: number;
	/** Aborting it aborts the request to Ollama (the connection is closed). */
	signal: AbortSignal;
}

/** What Settings shows about the model: is Ollama there, has it the model, how big is it. */
export interface ModelHealth {
	host: string;
	model: string;
	reachable: boolean;
	present: boolean;
	/** Bytes on disk, when present. */
	size: number | null;
	/** e.g. '3.88B', when present. */
	parameterSize: string | null;
	/** Why drafts cannot work now; absent when they can. */
	reason?: AiUnavailableReason;
	/** The command an operator runs on the Ollama machine when the model is missing. */
	pullCommand: string;
}

/** A sentence for the operator (logs, the REST API); the UI has its own words in EN and TH. */
export function explainUnavailable(reason: AiUnavailableReason, host: string, model: string): string {
	switch (reason) {
		case 'unreachable':
			return `The AI assistant is not running (Ollama at ${host} did not answer). Replies still work; start Ollama or set OLLAMA_HOST.`;
		case 'model_missing':
			return `The AI model ${model} is not installed in Ollama at ${host}. Replies still work; run \`ollama pull ${model}\` or set OLLAMA_MODEL.`;
		case 'timeout':
			return `The AI assistant took too long to answer (Ollama at ${host}). Replies still work; try again in a moment.`;
		case 'bad_response':
			return `The AI assistant gave an answer ChatMai could not use (Ollama at ${host}). Replies still work; try again.`;
	}
}

/** `llama3.2` names `llama3.2:latest`; a name with a tag names only itself. */
export function sameModel(installed: string, wanted: string): boolean {
	const tagged = (name: string) => (/:[^/]+$/.test(name) ? name : `${name}:latest`);
	return tagged(installed) === tagged(wanted);
}

/**
 * The official client, with a fetch that also gives up when `signal` fires, and that turns a line
 * of a streamed answer that is not JSON into an `{ error }` line: the client would otherwise print
 * the line (a piece of the answer) to the console, and the privacy policy allows no answer in logs.
 */
function client(options: ModelOptions, signal: AbortSignal): Ollama {
	const base = options.fetch ?? fetch;
	return new Ollama({
		host: options.host,
		fetch: (async (input: RequestInfo | URL, init?: RequestInit) => {
			const response = await base(input, { ...init, signal: init?.signal ? AbortSignal.any([init.signal, signal]) : signal });
			if (!response.body || !response.headers.get('content-type')?.includes('ndjson')) return response;
			return new Response(response.body.pipeThrough(jsonLinesOnly()), { status: response.status, statusText: response.statusText, headers: response.headers });
		}) as typeof fetch
	});
}

function jsonLinesOnly(): TransformStream<Uint8Array, Uint8Array> {
	const decoder = new TextDecoder();
	const encoder = new TextEncoder();
	let buffer = '';
	const clean = (line: string) => {
		if (!line.trim()) return '';
		try {
			JSON.parse(line);
			return line + '\n';
		} catch {
			return '{"error":"Ollama sent a line that is not JSON"}\n';
		}
	};
	return new TransformStream({
		transform(chunk, controller) {
			buffer += decoder.decode(chunk, { stream: true });
			const lines = buffer.split('\n');
			buffer = lines.pop() ?? '';
			const out = lines.map(clean).join('');
			if (out) controller.enqueue(encoder.encode(out));
		},
		flush(controller) {
			const out = clean(buffer + decoder.decode());
			if (out) controller.enqueue(encoder.encode(out));
		}
	});
}

const isResponseError = (error: unknown): error is Error & { status_code: number; error: string } =>
	error instanceof Error && error.name === 'ResponseError' && typeof (error as { status_code?: unknown }).status_code === 'number';

/**
 * Whether Ollama answers and has the model, and its size. Never throws: a slow or absent Ollama is
 * a state to show, not an error.
 */
export async function modelHealth(options: ModelOptions): Promise<ModelHealth> {
	const { host, model } = options;
	const health: ModelHealth = { host, model, reachable: false, present: false, size: null, parameterSize: null, pullCommand: `ollama pull ${model}` };
	const timeout = AbortSignal.timeout(options.statusTimeoutMs ?? 3_000);
	try {
		const { models } = await client(options, timeout).list();
		health.reachable = true;
		if (!Array.isArray(models)) return { ...health, reason: 'bad_response' };
		const found = models.find((m) => [m?.name, m?.model].some((name) => typeof name === 'string' && sameModel(name, model)));
		if (!found) return { ...health, reason: 'model_missing' };
		health.present = true;
		health.size = typeof found.size === 'number' ? found.size : null;
		health.parameterSize = found.details?.parameter_size ?? null;
		if (!health.parameterSize) {
			const shown = await client(options, timeout).show({ model });
			health.parameterSize = shown.details?.parameter_size ?? null;
		}
		return health;
	} catch (error) {
		if (timeout.aborted) return { ...health, reason: 'timeout' };
		if (isResponseError(error)) return { ...health, reachable: true, reason: error.status_code === 404 ? 'model_missing' : 'bad_response' };
		if (error instanceof SyntaxError) return { ...health, reachable: true, reason: 'bad_response' };
		return { ...health, reason: 'unreachable' };
	}
}

/**
 * Streams a chat: yields each piece of the answer as it arrives. Aborting `signal` aborts the
 * request to Ollama (the connection closes, Ollama stops generating). Throws AiUnavailable for
 * anything Ollama does wrong: unreachable, the model missing, no token for `timeoutMs`, an error
 * line in the middle of the stream, a stream that ends without `done`.
 */
export async function* streamChat(options: ModelOptions, request: ChatRequest): AsyncGenerator<string, void, undefined> {
	const { host, model } = options;
	const timeoutMs = options.timeoutMs ?? 60_000;
	const unavailable = (reason: AiUnavailableReason) => new AiUnavailable(reason, explainUnavailable(reason, host, model));
	const idle = new AbortController();
	let timer = setTimeout(() => idle.abort(), timeoutMs);
	const rearm = () => {
		clearTimeout(timer);
		timer = setTimeout(() => idle.abort(), timeoutMs);
	};
	const stop = AbortSignal.any([idle.signal, request.signal]);
	const failure = (error: unknown): Error => {
		if (error instanceof AiUnavailable) return error;
		if (request.signal.aborted) return request.signal.reason instanceof Error ? request.signal.reason : new Error('aborted');
		if (idle.signal.aborted) return unavailable('timeout');
		if (isResponseError(error)) return unavailable(error.status_code === 404 && /not found/i.test(error.error) ? 'model_missing' : 'bad_response');
		if (error instanceof TypeError) return unavailable('unreachable');
		// The client throws a plain Error for an `{ error }` line and for a stream without `done`.
		return unavailable(/not found/i.test(error instanceof Error ? error.message : '') ? 'model_missing' : 'bad_response');
	};
	let stream: AbortableAsyncIterator<ChatResponse>;
	try {
		stream = await client(options, stop).chat({
			model,
			messages: request.messages,
			stream: true,
			keep_alive: options.keepAlive ?? '10m',
			options: { temperature: request.temperature ?? 0.4, ...(request.maxTokens ? { num_predict: request.maxTokens } : {}) }
		});
	} catch (error) {
		clearTimeout(timer);
		throw failure(error);
	}
	const abort = () => stream.abort();
	stop.addEventListener('abort', abort, { once: true });
	try {
		for await (const part of stream) {
			rearm();
			const content = part?.message?.content;
			if (typeof content === 'string' && content) yield content;
			if (part?.done) return;
		}
	} catch (error) {
		throw failure(error);
	} finally {
		clearTimeout(timer);
		stop.removeEventListener('abort', abort);
		// A consumer that stops early (return) closes the request too.
		if (!stop.aborted) stream.abort();
	}
}

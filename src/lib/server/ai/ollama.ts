/**
 * A small client for the local LLM runtime, Ollama, over its HTTP API
 * (https://docs.ollama.com/api): `POST /api/chat` (NDJSON stream of `{ message, done }` lines, an
 * `{ error }` line when the model fails mid-stream) and `GET /api/tags` (the models pulled here).
 *
 * Privacy: nothing here is stored, and nothing is logged but reasons; what is sent and what comes
 * back lives in memory for the one request (docs/PRIVACY.md: AI processing is real-time, not stored).
 */

import { DomainError } from '../errors.ts';

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

export interface ChatMessage {
	role: 'system' | 'user' | 'assistant';
	content: string;
}

export interface OllamaOptions {
	/** Base URL, e.g. http://127.0.0.1:11434 (config.ollamaHost). */
	host: string;
	/** The model every chat asks for (config.ollamaModel). */
	model: string;
	/** Longest wait for a whole chat answer. @default 60_000 */
	timeoutMs?: number;
	/** Longest wait for the model list. @default 3_000 */
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
	/** Aborts the chat, e.g. when the agent's browser has gone. */
	signal?: AbortSignal;
}

export interface ChatAnswer {
	text: string;
	model: string;
}

export interface AiStatus {
	available: boolean;
	model: string;
	reason?: AiUnavailableReason;
}

export interface Ollama {
	readonly host: string;
	readonly model: string;
	/** Streams a chat and returns the joined text. Throws AiUnavailable. */
	chat(request: ChatRequest): Promise<ChatAnswer>;
	/** Whether Ollama answers and has the configured model. Never throws. */
	status(): Promise<AiStatus>;
}

/** A sentence for the agent: what is wrong and that replies still work. */
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
	const tagged = (name: string) => (name.includes(':') ? name : `${name}:latest`);
	return tagged(installed) === tagged(wanted);
}

export function createOllama(options: OllamaOptions): Ollama {
	const host = options.host.replace(/\/$/, '');
	const { model } = options;
	const timeoutMs = options.timeoutMs ?? 60_000;
	const statusTimeoutMs = options.statusTimeoutMs ?? 3_000;
	const doFetch = options.fetch ?? fetch;
	const unavailable = (reason: AiUnavailableReason) => new AiUnavailable(reason, explainUnavailable(reason, host, model));

	/** Maps whatever fetch or a body read threw, given which signal fired. */
	function failure(error: unknown, timeout: AbortSignal, caller?: AbortSignal): Error {
		if (error instanceof AiUnavailable) return error;
		if (timeout.aborted) return unavailable('timeout');
		if (caller?.aborted) return caller.reason instanceof Error ? caller.reason : new Error('aborted');
		return unavailable('unreachable');
	}

	async function request(path: string, init: RequestInit, timeout: AbortSignal, caller?: AbortSignal): Promise<Response> {
		const signal = caller ? AbortSignal.any([timeout, caller]) : timeout;
		try {
			return await doFetch(host + path, { ...init, signal });
		} catch (error) {
			throw failure(error, timeout, caller);
		}
	}

	async function errorOf(response: Response): Promise<string> {
		const body = await response.json().catch(() => null);
		return typeof body?.error === 'string' ? body.error : '';
	}

	return {
		host,
		model,

		async chat({ messages, temperature = 0.4, maxTokens, signal: caller }) {
			const timeout = AbortSignal.timeout(timeoutMs);
			const response = await request(
				'/api/chat',
				{
					method: 'POST',
					headers: { 'content-type': 'application/json', accept: 'application/x-ndjson' },
					body: JSON.stringify({
						model,
						messages,
						stream: true,
						keep_alive: options.keepAlive ?? '10m',
						options: { temperature, ...(maxTokens ? { num_predict: maxTokens } : {}) }
					})
				},
				timeout,
				caller
			);
			if (!response.ok) {
				const message = await errorOf(response).catch(() => '');
				if (response.status === 404 && /not found/i.test(message)) throw unavailable('model_missing');
				throw unavailable('bad_response');
			}
			if (!response.body) throw unavailable('bad_response');

			let text = '';
			let done = false;
			const read = (line: string) => {
				if (!line.trim()) return;
				let chunk: unknown;
				try {
					chunk = JSON.parse(line);
				} catch {
					throw unavailable('bad_response');
				}
				if (!chunk || typeof chunk !== 'object') throw unavailable('bad_response');
				const c = chunk as { error?: unknown; done?: unknown; message?: { content?: unknown } };
				if (c.error !== undefined) throw unavailable(/not found/i.test(String(c.error)) ? 'model_missing' : 'bad_response');
				if (typeof c.message?.content === 'string') text += c.message.content;
				if (c.done === true) done = true;
			};
			try {
				const decoder = new TextDecoder();
				let buffer = '';
				for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
					buffer += decoder.decode(bytes, { stream: true });
					let newline: number;
					while ((newline = buffer.indexOf('\n')) >= 0 && !done) {
						read(buffer.slice(0, newline));
						buffer = buffer.slice(newline + 1);
					}
					if (done) break;
				}
				if (!done) read(buffer + decoder.decode());
			} catch (error) {
				throw failure(error, timeout, caller);
			}
			if (!done || !text.trim()) throw unavailable('bad_response');
			return { text, model };
		},

		async status() {
			const timeout = AbortSignal.timeout(statusTimeoutMs);
			try {
				const response = await request('/api/tags', { headers: { accept: 'application/json' } }, timeout);
				if (!response.ok) return { available: false, model, reason: 'bad_response' };
				const body = (await response.json()) as { models?: Array<{ name?: unknown; model?: unknown }> } | null;
				if (!body || !Array.isArray(body.models)) return { available: false, model, reason: 'bad_response' };
				const present = body.models.some((m) => [m?.name, m?.model].some((name) => typeof name === 'string' && sameModel(name, model)));
				return present ? { available: true, model } : { available: false, model, reason: 'model_missing' };
			} catch (error) {
				const mapped = error instanceof SyntaxError ? unavailable('bad_response') : failure(error, timeout);
				return { available: false, model, reason: mapped instanceof AiUnavailable ? mapped.reason : 'unreachable' };
			}
		}
	};
}

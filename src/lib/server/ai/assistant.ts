import type { Config } from '../env.ts';
import { createOllama, type Ollama } from './ollama.ts';

/**
 * The Ollama client the routes use, made from the configuration read at start-up. Tests (and an
 * operator's embedding code) may shorten its timeouts with `configureAi`; the overrides are kept on
 * globalThis under a registered symbol because the routes are bundled with their own copy of
 * src/lib (the same reason as services.ts).
 */

export interface AiOverrides {
	/** @default 60_000 */
	timeoutMs?: number;
	/** @default 3_000 */
	statusTimeoutMs?: number;
}

const KEY = Symbol.for('chatmai.ai');
type Holder = { [KEY]?: AiOverrides };

export function configureAi(overrides: AiOverrides | undefined): void {
	if (overrides) (globalThis as Holder)[KEY] = { ...overrides };
	else delete (globalThis as Holder)[KEY];
}

export function ollamaFor(config: Pick<Config, 'ollamaHost' | 'ollamaModel'>): Ollama {
	const overrides = (globalThis as Holder)[KEY] ?? {};
	return createOllama({ host: config.ollamaHost, model: config.ollamaModel, ...overrides });
}

/** Drafts per user per minute: a local model is slow and shared by the whole team. */
export const AI_DRAFT_LIMIT = { limit: 20, windowSeconds: 60 } as const;

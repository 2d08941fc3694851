import type { Queryable } from '../db.ts';
import type { Config } from '../env.ts';
import type { ModelOptions } from './model.ts';

/**
 * How the routes reach Ollama: the host from the configuration read at start-up, the model of the
 * workspace (its `ai_model`, else OLLAMA_MODEL). Tests (and an operator's embedding code) may
 * shorten the timeouts with `configureAi`; the overrides are kept on globalThis under a registered
 * symbol because the routes are bundled with their own copy of src/lib (the same reason as
 * services.ts).
 */

export interface AiOverrides {
	/** Longest wait for the first token and between tokens. @default 60_000 */
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

/** The client options for a workspace: its own model when it chose one. */
export async function modelFor(db: Queryable, config: Pick<Config, 'ollamaHost' | 'ollamaModel'>, workspaceId: string): Promise<ModelOptions> {
	const { rows } = await db.query<{ ai_model: string | null }>('select ai_model from workspaces where id = $1', [workspaceId]);
	return { host: config.ollamaHost, model: rows[0]?.ai_model ?? config.ollamaModel, ...((globalThis as Holder)[KEY] ?? {}) };
}

/** Drafts per user per minute: a local model is slow and shared by the whole team. */
export const AI_DRAFT_LIMIT = { limit: 20, windowSeconds: 60 } as const;

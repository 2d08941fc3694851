import { DomainError } from '../errors.ts';
import { errorMessage, logger } from '../log.ts';
import type { AiDraftOutcome, AiDraftWriter, LiveDocuments } from '../ports.ts';
import type { WorkspaceScope } from '../scope.ts';
import { buildPrompt, draftContext, fitReply, type DraftDeps } from './draft.ts';
import { AiUnavailable, explainUnavailable, modelHealth, streamChat, type ChatMessage, type ModelOptions } from './model.ts';

/**
 * An AI draft streamed into the conversation's shared draft: the model's tokens are written into
 * the live document as they arrive (through the LiveDocuments port, origin `{ source: 'ai' }`), so
 * every agent watching sees the reply being written. One stream per conversation at a time; Stop
 * (`stopAiDraft` here, or an agent's Stop through the document) or an agent's edit inside the AI's
 * text aborts the request to Ollama.
 *
 * Privacy: the prompt and the answer live in memory for the one stream; the only trace is the
 * draft text itself, which the agents edit, send or delete. Logs carry ids, counts and reasons.
 */

const log = logger('ai');

/** Another AI draft is being written into this conversation. */
export class AiDraftBusy extends DomainError<'ai_draft_running'> {
	readonly reason = 'ai_draft_running' as const;
	constructor() {
		super(409, 'ai_draft_running', 'An AI draft is already being written in this conversation');
	}
}

export interface StreamDeps extends DraftDeps {
	live: LiveDocuments;
	model: ModelOptions;
}

interface Running {
	workspaceId: string;
	controller: AbortController;
	done: Promise<AiDraftOutcome>;
}

// On globalThis under a registered symbol: the routes are bundled with their own copy of src/lib.
const KEY = Symbol.for('chatmai.ai.running');
function running(): Map<string, Running> {
	const holder = globalThis as { [KEY]?: Map<string, Running> };
	return (holder[KEY] ??= new Map());
}

/** Most tokens one draft may take (a chat reply is short). */
const MAX_TOKENS = 512;

/**
 * Starts an AI draft in the conversation and resolves once the AI's span is open in the draft
 * (the tokens follow in the background; `done` resolves with how it ended). Throws AccessDenied
 * (404/403), AiDraftBusy (409) or AiUnavailable (503: Ollama down or without the model, checked
 * before anything is written).
 */
export async function startAiDraft(deps: StreamDeps, scope: WorkspaceScope, conversationId: string): Promise<{ model: string; done: Promise<AiDraftOutcome> }> {
	scope.require('converse');
	const registry = running();
	if (registry.has(conversationId)) throw new AiDraftBusy();
	// Reserved before the first await: two clicks at once cannot both start.
	const controller = new AbortController();
	let settle!: (outcome: AiDraftOutcome) => void;
	const entry: Running = { workspaceId: scope.workspaceId, controller, done: new Promise((resolve) => (settle = resolve)) };
	registry.set(conversationId, entry);
	let writer: AiDraftWriter;
	let messages: ChatMessage[];
	let maxLength: number;
	try {
		const context = await draftContext(deps, scope, conversationId);
		const health = await modelHealth(deps.model);
		if (health.reason) throw new AiUnavailable(health.reason, explainUnavailable(health.reason, deps.model.host, deps.model.model));
		const { rows } = await deps.db.query<{ name: string }>('select name from users where id = $1', [scope.userId]);
		messages = buildPrompt(context);
		maxLength = context.maxTextLength;
		writer = await deps.live.openAiDraft(scope.workspaceId, conversationId, { requestedBy: { id: scope.userId, name: rows[0]?.name ?? '' }, maxLength });
	} catch (error) {
		registry.delete(conversationId);
		settle({ type: 'stopped' });
		throw error;
	}
	void pump(deps.model, writer, messages, controller.signal, maxLength).then((outcome) => {
		registry.delete(conversationId);
		log.info('ai_draft', { workspace_id: scope.workspaceId, conversation_id: conversationId, model: deps.model.model, outcome: outcome.type, ...(outcome.type === 'failed' ? { reason: outcome.reason } : {}) });
		settle(outcome);
	});
	return { model: deps.model.model, done: entry.done };
}

/** Writes the stream into the draft until it ends, is stopped, is taken over or fails; never rejects. */
async function pump(model: ModelOptions, writer: AiDraftWriter, messages: ChatMessage[], stop: AbortSignal, maxLength: number): Promise<AiDraftOutcome> {
	const signal = AbortSignal.any([stop, writer.cancelled]);
	const cancelled = (): AiDraftOutcome | null =>
		writer.cancelled.aborted ? { type: writer.cancelled.reason === 'stopped' ? 'stopped' : 'taken_over' } : stop.aborted ? { type: 'stopped' } : null;
	let outcome: AiDraftOutcome;
	try {
		// Leaving the loop early (the platform's length reached) closes the request to Ollama.
		for await (const piece of streamChat(model, { messages, maxTokens: MAX_TOKENS, signal })) {
			if (!(await writer.append(piece))) break;
			if (signal.aborted) break;
		}
		outcome = cancelled() ?? { type: 'done' };
	} catch (error) {
		const early = cancelled();
		if (early) outcome = early;
		else if (error instanceof AiUnavailable) outcome = { type: 'failed', reason: error.reason };
		else {
			log.error('ai_draft_error', { error: errorMessage(error) });
			outcome = { type: 'failed', reason: 'bad_response' };
		}
	}
	try {
		await writer.finish(outcome, (text) => fitReply(text, maxLength));
	} catch (error) {
		log.error('ai_draft_finish_failed', { error: errorMessage(error) });
	}
	return outcome;
}

/**
 * Stops the conversation's running AI draft (the request to Ollama is aborted; the text so far
 * stays in the draft) and resolves with how it ended once the draft says so; null when none runs.
 */
export async function stopAiDraft(scope: WorkspaceScope, conversationId: string): Promise<AiDraftOutcome | null> {
	scope.require('converse');
	const entry = running().get(conversationId);
	if (!entry || entry.workspaceId !== scope.workspaceId) return null;
	entry.controller.abort('stopped');
	return entry.done;
}

/** Stops every running draft on this instance (shutdown) and waits for each to end. */
export async function stopAllAiDrafts(): Promise<void> {
	const entries = [...running().values()];
	for (const entry of entries) entry.controller.abort('shutdown');
	await Promise.all(entries.map((entry) => entry.done));
}

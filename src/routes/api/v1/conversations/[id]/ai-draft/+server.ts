import { json } from '@sveltejs/kit';
import { api, ApiError, requireScope } from '$lib/server/http/api';
import { AI_DRAFT_LIMIT, modelFor } from '$lib/server/ai/assistant';
import { AiUnavailable } from '$lib/server/ai/model';
import { AiDraftBusy, startAiDraft, stopAiDraft } from '$lib/server/ai/stream';
import { refusedWith } from '$lib/server/errors';
import { RateLimited } from '$lib/server/auth/throttle';
import { logger } from '$lib/server/log';
import { hit } from '$lib/server/rate-limit';
import { isUuid } from '$lib/server/scope';
import { services } from '$lib/server/services';
import { PLATFORM_FACTS } from '$lib/platforms';

const log = logger('ai');

/**
 * Starts the AI writing a reply into the conversation's shared draft: `202 { model }` once its
 * text has a place in the draft (the tokens follow live through the document). 409
 * `ai_draft_running` while one is being written, 503 `ai_unavailable` with a reason when Ollama
 * cannot help. Nothing is stored but the draft text.
 */
export const POST = api(async (event) => {
	const scope = await requireScope(event, 'converse');
	const id = event.params.id!;
	if (!isUuid(id)) throw new ApiError(404, 'not_found', 'Conversation not found');
	const { db, config, live } = services();
	const wait = await hit(db, `ai-draft:${scope.userId}`, AI_DRAFT_LIMIT);
	if (wait > 0) throw new RateLimited(wait);
	const model = await modelFor(db, config, scope.workspaceId);
	try {
		const started = await startAiDraft({ db, live, model, maxTextLength: (p) => PLATFORM_FACTS[p].maxTextLength }, scope, id);
		return json({ model: started.model }, { status: 202 });
	} catch (error) {
		if (refusedWith(error, 'ai_draft_running')) throw error;
		if (!refusedWith(error, 'ai_unavailable')) throw error;
		const { reason } = error.details as { reason: string };
		log.warn('unavailable', { workspace_id: scope.workspaceId, conversation_id: id, reason, model: model.model });
		return json({ error: { code: 'ai_unavailable', reason, message: error.message } }, { status: 503 });
	}
});

/** Stops the AI draft being written (the request to Ollama is aborted; its text so far stays): `{ outcome }`, or 404 `not_streaming`. */
export const DELETE = api(async (event) => {
	const scope = await requireScope(event, 'converse');
	const id = event.params.id!;
	if (!isUuid(id)) throw new ApiError(404, 'not_found', 'Conversation not found');
	const outcome = await stopAiDraft(scope, id);
	if (!outcome) throw new ApiError(404, 'not_streaming', 'No AI draft is being written in this conversation');
	return { outcome: outcome.type };
});

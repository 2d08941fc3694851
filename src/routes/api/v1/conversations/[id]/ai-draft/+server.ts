import { json } from '@sveltejs/kit';
import { api, ApiError, requireScope } from '$lib/server/http/api';
import { AI_DRAFT_LIMIT, ollamaFor } from '$lib/server/ai/assistant';
import { draftReply } from '$lib/server/ai/draft';
import type { AiUnavailableReason } from '$lib/server/ai/ollama';
import { refusedWith } from '$lib/server/errors';
import { RateLimited } from '$lib/server/auth/throttle';
import { logger } from '$lib/server/log';
import { hit } from '$lib/server/rate-limit';
import { isUuid } from '$lib/server/scope';
import { services } from '$lib/server/services';
import { PLATFORM_FACTS } from '$lib/platforms';

const log = logger('ai');

/**
 * A suggested reply from the local LLM: `{ text, model }`, or 503 `ai_unavailable` with a reason
 * and a sentence when Ollama cannot help. Nothing is stored; the agent inserts, edits and sends it.
 */
export const POST = api(async (event) => {
	const scope = await requireScope(event, 'converse');
	const id = event.params.id!;
	if (!isUuid(id)) throw new ApiError(404, 'not_found', 'Conversation not found');
	const { db, config } = services();
	const wait = await hit(db, `ai-draft:${scope.userId}`, AI_DRAFT_LIMIT);
	if (wait > 0) throw new RateLimited(wait);
	const ollama = ollamaFor(config);
	try {
		const draft = await draftReply({ db, ollama, maxTextLength: (p) => PLATFORM_FACTS[p].maxTextLength }, scope, id, { signal: event.request.signal });
		log.info('drafted', { workspace_id: scope.workspaceId, conversation_id: id, model: draft.model, chars: [...draft.text].length });
		return draft;
	} catch (error) {
		if (!refusedWith(error, 'ai_unavailable')) throw error;
		const { reason } = error.details as { reason: AiUnavailableReason };
		log.warn('unavailable', { workspace_id: scope.workspaceId, conversation_id: id, reason, model: ollama.model });
		return json({ error: { code: 'ai_unavailable', reason, message: error.message } }, { status: 503 });
	}
});

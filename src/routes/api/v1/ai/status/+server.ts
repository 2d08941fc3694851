import { api, requireScope } from '$lib/server/http/api';
import { explainUnavailable } from '$lib/server/ai/ollama';
import { ollamaFor } from '$lib/server/ai/assistant';
import { services } from '$lib/server/services';

/** Whether AI drafts can work now: `{ available, model, reason?, message? }`. Any member may ask. */
export const GET = api(async (event) => {
	await requireScope(event, 'read');
	const ollama = ollamaFor(services().config);
	const status = await ollama.status();
	return status.reason ? { ...status, message: explainUnavailable(status.reason, ollama.host, ollama.model) } : status;
});

import { api, requireScope } from '$lib/server/http/api';
import { modelFor } from '$lib/server/ai/assistant';
import { explainUnavailable, modelHealth } from '$lib/server/ai/model';
import { services } from '$lib/server/services';

/**
 * Whether AI drafts can work now for this workspace: `{ available, model, reachable, present, size,
 * parameterSize, pullCommand, reason?, message? }`. Any member may ask.
 */
export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	const { db, config } = services();
	const health = await modelHealth(await modelFor(db, config, scope.workspaceId));
	const { host: _host, ...shown } = health;
	return {
		available: !health.reason,
		...shown,
		...(health.reason ? { message: explainUnavailable(health.reason, health.host, health.model) } : {})
	};
});

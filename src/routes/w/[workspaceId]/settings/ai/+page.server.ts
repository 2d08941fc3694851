import type { Actions, PageServerLoad } from './$types';
import { modelFor } from '$lib/server/ai/assistant';
import { modelHealth } from '$lib/server/ai/model';
import { getAiSettings, modelName, particleInput, setParticle, setWorkspaceModel } from '$lib/server/ai/settings';
import { clientIp } from '$lib/server/http/request';
import { services } from '$lib/server/services';
import { failure, text } from '../../../../form';
import { workspaceScope } from '../../scope';

/**
 * The AI assistant: is Ollama there with the workspace's model (streamed in, so a slow Ollama never
 * holds the page), which model the workspace uses (admins), and the agent's own polite particle.
 */
export const load: PageServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	const { db, config } = services();
	const model = await modelFor(db, config, scope.workspaceId);
	return {
		settings: await getAiSettings(db, scope, config.ollamaModel),
		// Not awaited: SvelteKit streams it in when Ollama answers (or gives up).
		health: modelHealth(model).then(({ host: _host, ...health }) => health),
		canManage: scope.can('manageWorkspace')
	};
};

export const actions: Actions = {
	model: async (event) => {
		const scope = await workspaceScope(event);
		const data = await event.request.formData();
		const values = { model: text(data, 'model').trim() };
		if (!scope.can('manageWorkspace')) return failure(403, values, 'form.error.forbidden');
		if (!modelName.safeParse(values.model).success) return failure(400, values, 'form.error.invalid', { model: 'ai.settings.error.model' });
		await setWorkspaceModel(services().db, scope, values.model, clientIp(event));
		return { modelSaved: true };
	},
	particle: async (event) => {
		const scope = await workspaceScope(event);
		const data = await event.request.formData();
		const values = { particle: text(data, 'particle') };
		if (!particleInput.safeParse(values.particle).success) return failure(400, values, 'form.error.invalid');
		await setParticle(services().db, scope, values.particle);
		return { particleSaved: true };
	}
};

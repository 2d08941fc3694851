import { api, readJson, requireScope } from '$lib/server/http/api';
import { cannedInput, deleteCanned, updateCanned } from '$lib/server/canned';
import { services } from '$lib/server/services';

export const PUT = api(async (event) => {
	const scope = await requireScope(event, 'manageWorkspace');
	const input = await readJson(event, cannedInput);
	return { cannedResponse: await updateCanned(services().db, scope, event.params.id!, input) };
});

export const DELETE = api(async (event) => {
	const scope = await requireScope(event, 'manageWorkspace');
	await deleteCanned(services().db, scope, event.params.id!);
	return new Response(null, { status: 204 });
});

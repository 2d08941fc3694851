import { api, ApiError, readJson, requireScope } from '$lib/server/http/api';
import { cannedInput, CannedError, deleteCanned, updateCanned } from '$lib/server/canned';
import { services } from '$lib/server/services';

export const PUT = api(async (event) => {
	const scope = await requireScope(event, 'manageWorkspace');
	const input = await readJson(event, cannedInput);
	try {
		return { cannedResponse: await updateCanned(services().db, scope, event.params.id!, input) };
	} catch (error) {
		if (error instanceof CannedError) throw new ApiError(409, error.reason, error.message);
		throw error;
	}
});

export const DELETE = api(async (event) => {
	const scope = await requireScope(event, 'manageWorkspace');
	await deleteCanned(services().db, scope, event.params.id!);
	return new Response(null, { status: 204 });
});

import { json } from '@sveltejs/kit';
import { api, ApiError, readJson, requireScope } from '$lib/server/http/api';
import { cannedInput, CannedError, createCanned, listCanned } from '$lib/server/canned';
import { services } from '$lib/server/services';

export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	return { cannedResponses: await listCanned(services().db, scope) };
});

export const POST = api(async (event) => {
	const scope = await requireScope(event, 'manageWorkspace');
	const input = await readJson(event, cannedInput);
	try {
		return json({ cannedResponse: await createCanned(services().db, scope, input) }, { status: 201 });
	} catch (error) {
		if (error instanceof CannedError) throw new ApiError(409, error.reason, error.message);
		throw error;
	}
});

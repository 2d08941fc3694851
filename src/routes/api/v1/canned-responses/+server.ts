import { json } from '@sveltejs/kit';
import { api, readJson, requireScope } from '$lib/server/http/api';
import { cannedInput, createCanned, listCanned } from '$lib/server/canned';
import { services } from '$lib/server/services';

export const GET = api(async (event) => {
	const scope = await requireScope(event, 'read');
	return { cannedResponses: await listCanned(services().db, scope) };
});

export const POST = api(async (event) => {
	const scope = await requireScope(event, 'manageWorkspace');
	const input = await readJson(event, cannedInput);
	return json({ cannedResponse: await createCanned(services().db, scope, input) }, { status: 201 });
});

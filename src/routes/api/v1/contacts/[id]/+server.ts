import { ApiError, api, readJson, requireScope } from '$lib/server/http/api';
import { contactInput, updateContact } from '$lib/server/contacts';
import { AccessDenied } from '$lib/server/scope';
import { services } from '$lib/server/services';

/** What agents write about a customer: their own name for them, phone, address and a note (the platform's name stays as it is). */
export const PATCH = api(async (event) => {
	const scope = await requireScope(event, 'converse');
	const input = await readJson(event, contactInput);
	try {
		return { contact: await updateContact(services().db, scope, event.params.id!, input) };
	} catch (error) {
		if (error instanceof AccessDenied) throw new ApiError(404, 'not_found', 'Not found');
		throw error;
	}
});

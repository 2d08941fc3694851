import { json } from '@sveltejs/kit';
import { api, ApiError, requireScope } from '$lib/server/http/api';
import { isUuid } from '$lib/server/scope';
import { services } from '$lib/server/services';

/**
 * Sends a failed outgoing message again: 202 with the message, queued once more (the same outbox
 * row, so still one message on the platform's side once it goes out). 409 when it has not failed,
 * its platform was disconnected, or the reply window has closed since.
 */
export const POST = api(async (event) => {
	const scope = await requireScope(event, 'converse');
	const { id, messageId } = event.params;
	if (!id || !messageId || !isUuid(id) || !isUuid(messageId)) throw new ApiError(404, 'not_found', 'Message not found');
	return json({ reply: await services().platforms.retry(scope, id, messageId) }, { status: 202 });
});

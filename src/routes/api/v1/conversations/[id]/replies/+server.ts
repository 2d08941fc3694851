import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { api, ApiError, readJson, requireScope } from '$lib/server/http/api';
import { isUuid } from '$lib/server/scope';
import { services } from '$lib/server/services';

const KEY = z.string().trim().min(1).max(200).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

const replyBody = z.object({
	body: z.string().min(1).max(20_000),
	/** Alternative to the Idempotency-Key header. */
	idempotencyKey: KEY.optional()
});

/**
 * Queues an agent's reply: 202 with the outgoing message (delivery state `queued`). The same
 * Idempotency-Key returns the same reply (200) and never sends twice.
 */
export const POST = api(async (event) => {
	const scope = await requireScope(event, 'converse');
	const id = event.params.id!;
	if (!isUuid(id)) throw new ApiError(404, 'not_found', 'Conversation not found');
	const input = await readJson(event, replyBody);
	const header = event.request.headers.get('idempotency-key');
	const key = KEY.safeParse(header ?? input.idempotencyKey);
	if (!key.success) throw new ApiError(400, 'idempotency_key_required', 'Send an Idempotency-Key header (or idempotencyKey field): 1–200 printable characters');
	if (header && input.idempotencyKey && header.trim() !== input.idempotencyKey) {
		throw new ApiError(400, 'idempotency_key_mismatch', 'The Idempotency-Key header and the idempotencyKey field differ');
	}
	const reply = await services().platforms.createReply(scope, id, { body: input.body, idempotencyKey: key.data });
	return json({ reply }, { status: reply.created ? 202 : 200 });
});

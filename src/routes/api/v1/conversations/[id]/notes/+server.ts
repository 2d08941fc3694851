import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { api, ApiError, readJson, requireScope } from '$lib/server/http/api';
import { NOTE_BODY_LIMIT } from '$lib/conversation-doc';
import { MENTIONS_LIMIT, NoteRefused, addNote } from '$lib/server/notes';
import { isUuid } from '$lib/server/scope';
import { services } from '$lib/server/services';

const noteBody = z.object({
	body: z.string().trim().min(1).max(NOTE_BODY_LIMIT),
	mentions: z.array(z.string().uuid()).max(MENTIONS_LIMIT).optional(),
	/** A UUID of the caller's choosing makes a retry harmless (same note, 200). */
	id: z.string().uuid().optional()
});

/**
 * Writes an internal note (any role with `note`, supervisors included): 201 with the note as the
 * live document shows it; the same id again answers 200 with the stored note.
 */
export const POST = api(async (event) => {
	const scope = await requireScope(event, 'note');
	const id = event.params.id!;
	if (!isUuid(id)) throw new ApiError(404, 'not_found', 'Conversation not found');
	const input = await readJson(event, noteBody);
	const { db, live } = services();
	try {
		const { note, created } = await addNote(db, live, scope, id, input);
		return json({ note }, { status: created ? 201 : 200 });
	} catch (error) {
		if (error instanceof NoteRefused) {
			throw error.reason === 'not_found' ? new ApiError(404, 'not_found', 'Conversation not found') : new ApiError(400, 'invalid_note', error.message);
		}
		throw error;
	}
});

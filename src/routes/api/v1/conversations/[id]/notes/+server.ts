import { json } from '@sveltejs/kit';
import { z } from 'zod';
import { api, readJson } from '$lib/server/http/api';
import { commandDeps, requireActor, runCommand } from '$lib/server/http/commands';
import { NOTE_BODY_LIMIT } from '$lib/conversation-doc';
import { MENTIONS_LIMIT } from '$lib/server/notes';
import { addNote } from '$lib/server/commands';

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
	const actor = await requireActor(event, 'note');
	const input = await readJson(event, noteBody);
	const { note, created } = await runCommand(() => addNote(commandDeps(), actor, event.params.id!, input));
	return json({ note }, { status: created ? 201 : 200 });
});

import type { Actions, PageServerLoad } from './$types';
import { getConversationDetail } from '$lib/server/contacts';
import { markRead } from '$lib/server/conversations';
import { services } from '$lib/server/services';
import { error } from '@sveltejs/kit';
import { refusedWith } from '$lib/server/errors';
import type { Platform } from '$lib/platforms';
import { replyRulesFor } from '$lib/components/inbox/reply-rules';
import { workspaceScope } from '../../scope';
import { NoteRefused, addNote } from '$lib/server/notes';
import { failure, text } from '../../../../form';

/** One open conversation: its customer, and the platform's rules the reply box shows before sending. */
export const load: PageServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	const { db, platforms } = services();
	try {
		const detail = await getConversationDetail(db, scope, event.params.conversationId);
		await markRead(db, scope, detail.conversation.id);
		const platform = detail.conversation.platform as Platform;
		return { detail, rules: replyRulesFor(platform, platforms.describe(platform).orders) };
	} catch (cause) {
		if (refusedWith(cause, 'not_found', 'forbidden')) error(404, { message: 'Not found', code: 'not_found' });
		throw cause;
	}
};

export const actions: Actions = {
	/** An internal note without JavaScript (the page posts to the notes command otherwise); supervisors too. */
	note: async (event) => {
		const scope = await workspaceScope(event);
		const data = await event.request.formData();
		const body = text(data, 'body').trim();
		const mentions = data.getAll('mention').filter((m): m is string => typeof m === 'string');
		if (!scope.can('note')) return failure(403, { body }, 'form.error.forbidden');
		try {
			const { db, live } = services();
			await addNote(db, live, scope, event.params.conversationId, { body, mentions });
		} catch (error) {
			if (error instanceof NoteRefused) return failure(error.reason === 'not_found' ? 404 : 400, { body }, error.reason === 'not_found' ? 'form.error.notFound' : 'conversation.note.invalid');
			throw error;
		}
		return { success: 'conversation.note.added' as const };
	}
};

import type { Actions, PageServerLoad } from './$types';
import { getConversationDetail } from '$lib/server/contacts';
import { markRead } from '$lib/server/conversations';
import { services } from '$lib/server/services';
import { error } from '@sveltejs/kit';
import { refusedWith } from '$lib/server/errors';
import type { Platform } from '$lib/platforms';
import { replyRulesFor } from '$lib/components/inbox/reply-rules';
import { workspaceScope } from '../../scope';
import { NoteRefused } from '$lib/server/notes';
import { CommandRefused, addNote, assign, setLabels, setStatus, snooze, userActor, type CommandDeps, type UserActor } from '$lib/server/commands';
import type { PlainKey } from '$lib/i18n';
import { failure, text } from '../../../../form';
import type { RequestEvent } from './$types';

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
			await addNote({ db, live }, userActor(scope), event.params.conversationId, { body, mentions });
		} catch (error) {
			if (error instanceof NoteRefused) return failure(error.reason === 'not_found' ? 404 : 400, { body }, error.reason === 'not_found' ? 'form.error.notFound' : 'conversation.note.invalid');
			throw error;
		}
		return { success: 'conversation.note.added' as const };
	},

	/** Assigns (field `assigneeId`, empty to unassign): the assign command, as REST runs it. */
	assign: async (event) => {
		const data = await event.request.formData();
		const assigneeId = text(data, 'assigneeId') || null;
		return command(event, { assigneeId }, 'conversation.command.assigneeInvalid', (deps, actor, id) => assign(deps, actor, id, assigneeId));
	},

	/** Sets the status (field `status`: open, pending or resolved). */
	status: async (event) => {
		const status = text(await event.request.formData(), 'status');
		if (status === 'snoozed') return failure(400, { status }, 'conversation.command.statusInvalid');
		return command(event, { status }, 'conversation.command.statusInvalid', (deps, actor, id) => setStatus(deps, actor, id, { status }));
	},

	/** Snoozes until field `until` (ISO 8601 with offset, to come). */
	snooze: async (event) => {
		const until = text(await event.request.formData(), 'until');
		return command(event, { until }, 'conversation.snooze.past', (deps, actor, id) => snooze(deps, actor, id, until));
	},

	/** Replaces the labels with the `label` fields. */
	labels: async (event) => {
		const labels = (await event.request.formData()).getAll('label').filter((l): l is string => typeof l === 'string');
		return command(event, { labels }, 'conversation.labelInvalid', (deps, actor, id) => setLabels(deps, actor, id, labels));
	}
};

/**
 * Runs a conversation command for a form action: what the user sent comes back with a sentence
 * key when the role (403), the conversation (404) or the input (400, `invalid`) is refused.
 */
async function command<V extends Record<string, unknown>>(
	event: RequestEvent,
	values: V,
	invalid: PlainKey,
	run: (deps: CommandDeps, actor: UserActor, conversationId: string) => Promise<unknown>
) {
	const scope = await workspaceScope(event);
	if (!scope.can('converse')) return failure(403, values, 'form.error.forbidden');
	const { db, live } = services();
	try {
		await run({ db, live }, userActor(scope), event.params.conversationId);
	} catch (error) {
		if (!(error instanceof CommandRefused)) throw error;
		return error.reason === 'not_found' ? failure(404, values, 'form.error.notFound') : failure(400, values, invalid);
	}
	return { success: 'conversation.command.saved' as const };
}

import { writeNote, type NewNoteInput, type WrittenNote } from '../notes.ts';
import { notificationsCreated } from '../workspace-feed.ts';
import { mirror, type UserActor, type CommandDeps, type CommandOptions } from './actor.ts';

/**
 * The notes command, mentions included (a mention is a member named by a note: `writeNote`
 * notifies each one): writes the note as the actor's, then shows it in the live document. Any
 * role with `note` may write one, supervisors included; a note always has a member as author.
 * Once committed, each member it mentions hears of their notification on the workspace feed.
 */
export async function addNote(
	deps: CommandDeps,
	actor: UserActor,
	conversationId: string,
	input: NewNoteInput,
	options: CommandOptions = {}
): Promise<WrittenNote> {
	const written = await writeNote(deps.db, actor.scope, conversationId, input);
	const { workspaceId } = actor.scope;
	if (written.created) notificationsCreated(workspaceId, written.note.mentions.filter((m) => m !== actor.scope.userId));
	await mirror(actor, conversationId, options, (origin) => deps.live.appendNote(workspaceId, conversationId, written.note, origin), 'note');
	return written;
}

import type pg from 'pg';
import type { LiveDocuments, LiveOrigin } from '../ports.ts';
import type { WorkspaceScope } from '../scope.ts';
import { errorMessage, logger } from '../log.ts';
import { DomainError } from '../errors.ts';

/**
 * Who runs a conversation command: a member acting in a workspace (REST, a form action, an edit in
 * the live document), or the system (the ingest worker reopening a conversation on a customer's
 * message, the snooze sweep, future automation) with its reason.
 */
export type Actor = UserActor | SystemActor;

/** A member acting through their scope (its role decides what they may do). */
export interface UserActor {
	type: 'user';
	scope: WorkspaceScope;
}

/** The system (the ingest worker, the snooze sweep, automation): no role, a reason instead. */
export interface SystemActor {
	type: 'system';
	workspaceId: string;
	/** Stored with the change, e.g. `customer_message`, `snooze_ended`. */
	reason: string;
	/** The live document's origin. @default { source: 'system', reason } */
	origin?: LiveOrigin;
}

export function userActor(scope: WorkspaceScope): UserActor {
	return { type: 'user', scope };
}

export function workspaceOf(actor: Actor): string {
	return actor.type === 'user' ? actor.scope.workspaceId : actor.workspaceId;
}

/** The user behind a change, or null for the system. */
export function actorId(actor: Actor): string | null {
	return actor.type === 'user' ? actor.scope.userId : null;
}

/** What every command needs: PostgreSQL, and the collab writer it mirrors the change through. */
export interface CommandDeps {
	db: pg.Pool;
	live: Pick<LiveDocuments, 'setMeta' | 'appendNote'>;
}

export interface CommandOptions {
	/**
	 * The change came from the live document itself (the collab projection): it is already there,
	 * so it is not written back.
	 * @default false
	 */
	fromDocument?: boolean;
	/**
	 * Assign only if the conversation still has this assignee (null: still unassigned) when the
	 * command takes its row lock; otherwise nothing is written and `changed` is false. Automation
	 * uses it so that it never overrides what a member decided in the meantime.
	 */
	ifAssignee?: string | null;
}

/** Why a command refused; `forbidden` comes as `AccessDenied` from the scope. */
export type CommandRefusal = 'not_found' | 'invalid_input';

export class CommandRefused extends DomainError<CommandRefusal> {
	readonly reason: CommandRefusal;
	/** The input field at fault, for `invalid_input`. */
	readonly field: string | undefined;
	constructor(reason: CommandRefusal, message: string, field?: string) {
		super(reason === 'not_found' ? 404 : 400, reason, message, field ? { details: [{ path: field, message }] } : {});
		this.reason = reason;
		this.field = field;
	}
}

export function notFound(): CommandRefused {
	return new CommandRefused('not_found', 'Conversation not found');
}

const log = logger('commands');

/**
 * Shows a committed change in the live document. The row is the truth: a mirror that fails is
 * logged and the document's next load shows the row.
 */
export async function mirror(actor: Actor, conversationId: string, options: CommandOptions, write: (origin: LiveOrigin) => Promise<void>, what: string): Promise<void> {
	if (options.fromDocument) return;
	const origin: LiveOrigin = actor.type === 'system' ? (actor.origin ?? { source: 'system', reason: actor.reason }) : { source: 'system', reason: what };
	try {
		await write(origin);
	} catch (error) {
		log.warn('mirror_failed', { conversation_id: conversationId, command: what, error: errorMessage(error) });
	}
}

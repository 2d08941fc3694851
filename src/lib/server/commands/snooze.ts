import { CommandRefused, type Actor, type CommandDeps, type CommandOptions } from './actor.ts';
import { setStatus, type StatusResult } from './status.ts';

/**
 * Snoozes a conversation until a time to come (ISO 8601): the snooze sweep
 * (src/lib/server/snooze.ts) reopens it then, or a customer's message sooner.
 */
export async function snooze(deps: CommandDeps, actor: Actor, conversationId: string, until: unknown, options: CommandOptions = {}): Promise<StatusResult> {
	if (actor.type === 'user') actor.scope.require('converse');
	if (typeof until !== 'string' || Number.isNaN(Date.parse(until)) || Date.parse(until) <= Date.now()) {
		throw new CommandRefused('invalid_input', 'Snooze until a time to come (ISO 8601)', 'until');
	}
	return setStatus(deps, actor, conversationId, { status: 'snoozed', snoozedUntil: until }, options);
}

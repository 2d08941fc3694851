import type { RequestEvent } from '@sveltejs/kit';
import { userActor, type CommandDeps, type UserActor } from '../commands/index.ts';
import type { Permission } from '../scope.ts';
import { services } from '../services.ts';
import { requireScope } from './api.ts';

/** The command dependencies of a route: the pool and the live documents writer. */
export function commandDeps(): CommandDeps {
	const { db, live } = services();
	return { db, live };
}

/** The actor of a REST command: the caller's scope, refused (403) unless its role has `permission`. */
export async function requireActor(event: RequestEvent, permission: Permission): Promise<UserActor> {
	return userActor(await requireScope(event, permission));
}

/**
 * Runs a conversation command for a route. Its refusals are DomainErrors (404 `not_found`, 400
 * `invalid_input` naming the field, 400 `invalid_note`) that `api()` answers as they are; an
 * `AccessDenied` too.
 */
export async function runCommand<T>(command: () => Promise<T>): Promise<T> {
	return command();
}

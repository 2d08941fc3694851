import type { RequestEvent } from '@sveltejs/kit';
import { CommandRefused, userActor, type CommandDeps, type UserActor } from '../commands/index.ts';
import { NoteRefused } from '../notes.ts';
import type { Permission } from '../scope.ts';
import { services } from '../services.ts';
import { ApiError, requireScope } from './api.ts';

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
 * Runs a conversation command for a route: a refusal becomes the API's answer (404 `not_found`,
 * 400 `invalid_input` naming the field, 400 `invalid_note`); an `AccessDenied` is mapped by `api()`.
 */
export async function runCommand<T>(command: () => Promise<T>): Promise<T> {
	try {
		return await command();
	} catch (error) {
		if (error instanceof CommandRefused) {
			if (error.reason === 'not_found') throw new ApiError(404, 'not_found', 'Conversation not found');
			throw new ApiError(400, 'invalid_input', error.message, error.field ? [{ path: error.field, message: error.message }] : undefined);
		}
		if (error instanceof NoteRefused) {
			throw error.reason === 'not_found' ? new ApiError(404, 'not_found', 'Conversation not found') : new ApiError(400, 'invalid_note', error.message);
		}
		throw error;
	}
}

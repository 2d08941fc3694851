import { json, type RequestEvent, type RequestHandler } from '@sveltejs/kit';
import { ZodError, type ZodType } from 'zod';
import { defaultScope, scopeFor, type Permission, type WorkspaceScope } from '../scope.ts';
import { DomainError, errorBody, isDomainError } from '../errors.ts';
import { isDatabaseUnavailable } from '../db.ts';
import { services } from '../services.ts';
import type { Principal } from '../auth/principal.ts';
import { errorMessage, logger } from '../log.ts';
import { BodyTooLarge, findNul, readBody } from './request.ts';

const log = logger('api');

/** A refusal made by the HTTP layer itself (bad body, no credentials): a DomainError like the services' own. */
export class ApiError extends DomainError {
	constructor(status: number, code: string, message: string, details?: unknown) {
		super(status, code, message, { details });
	}
}

export { errorBody };

/**
 * Turns any error into the API's JSON error answer: every DomainError, from whichever copy of
 * src/lib threw it (src/lib/server/errors.ts), by its own status and code; anything else is a 500.
 */
export function toErrorResponse(error: unknown, path: string): Response {
	if (isDomainError(error)) {
		const headers = new Headers(error.headers);
		// A 413 leaves the rest of the body unread: close the connection rather than reuse it.
		if (error.status === 413) headers.set('connection', 'close');
		return json(errorBody(error.code, error.message, error.details), { status: error.status, headers });
	}
	if (error instanceof ZodError) {
		const details = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
		return json(errorBody('invalid_input', 'Some fields are not valid', details), { status: 400 });
	}
	if (isDatabaseUnavailable(error)) {
		log.warn('database_unavailable', { path });
		return json(errorBody('database_unavailable', 'The database is unavailable. Nothing was saved; please retry.'), {
			status: 503,
			headers: { 'retry-after': '5' }
		});
	}
	log.error('unhandled', { path, error: errorMessage(error) });
	return json(errorBody('internal', 'Something went wrong'), { status: 500 });
}

/** Wraps a JSON route: whatever it throws becomes a clear JSON error with the right status. */
export function api(fn: (event: RequestEvent) => Promise<Response | unknown>): RequestHandler {
	return async (event) => {
		try {
			const result = await fn(event);
			return result instanceof Response ? result : json(result);
		} catch (error) {
			return toErrorResponse(error, event.url.pathname);
		}
	};
}

/** @default 64 KiB */
export const DEFAULT_JSON_LIMIT = 64 * 1024;

/** Reads a JSON body: 413 when too large (declared or chunked), 400 when malformed, holding U+0000, or not matching `schema`. */
export async function readJson<T>(event: RequestEvent, schema: ZodType<T>, maxBytes = DEFAULT_JSON_LIMIT): Promise<T> {
	let buffer: Uint8Array;
	try {
		buffer = await readBody(event.request, maxBytes);
	} catch (error) {
		if (error instanceof BodyTooLarge) throw new ApiError(413, 'payload_too_large', error.message);
		throw error;
	}
	let value: unknown;
	try {
		value = JSON.parse(new TextDecoder().decode(buffer));
	} catch {
		throw new ApiError(400, 'malformed_json', 'The body is not valid JSON');
	}
	const nul = findNul(value);
	if (nul !== null) {
		throw new ApiError(400, 'invalid_input', 'Some fields are not valid', [{ path: nul, message: 'must not contain the character U+0000' }]);
	}
	return schema.parse(value);
}

export function requirePrincipal(event: RequestEvent): Principal {
	const principal = event.locals.principal;
	if (!principal) throw new ApiError(401, 'unauthenticated', 'Sign in or send an API token');
	return principal;
}

/**
 * The workspace scope of an API request: the workspace named by `X-Workspace-Id` (or
 * `?workspace=`), else the credential's own. 404 for a workspace the caller is not in.
 */
export async function requireScope(event: RequestEvent, permission: Permission = 'read'): Promise<WorkspaceScope> {
	const principal = requirePrincipal(event);
	const named = event.request.headers.get('x-workspace-id') ?? event.url.searchParams.get('workspace');
	const { db } = services();
	const scope = named ? await scopeFor(db, principal, named) : await defaultScope(db, principal);
	if (!scope) throw new ApiError(404, 'not_found', 'You are not a member of any workspace');
	return scope.require(permission);
}

import { json, type RequestEvent, type RequestHandler } from '@sveltejs/kit';
import { ZodError, type ZodType } from 'zod';
import { AccessDenied, defaultScope, scopeFor, type Permission, type WorkspaceScope } from '../scope.ts';
import { AccountError } from '../accounts.ts';
import { RateLimited } from '../auth/throttle.ts';
import { isDatabaseUnavailable } from '../db.ts';
import { services } from '../services.ts';
import type { Principal } from '../auth/principal.ts';
import { errorMessage, logger } from '../log.ts';
import { BodyTooLarge, findNul, readBody } from './request.ts';

const log = logger('api');

/** An error with the HTTP status and stable code the API answers with. */
export class ApiError extends Error {
	readonly status: number;
	readonly code: string;
	readonly details?: unknown;
	constructor(status: number, code: string, message: string, details?: unknown) {
		super(message);
		this.status = status;
		this.code = code;
		this.details = details;
	}
}

const accountStatus: Record<AccountError['reason'], [number, string]> = {
	email_taken: [409, 'An account with this e-mail already exists'],
	invalid_credentials: [401, 'Wrong e-mail or password'],
	invitation_invalid: [404, 'This invitation has expired, was revoked or was already used'],
	invitation_email_mismatch: [403, 'This invitation is for another e-mail address'],
	email_unverified: [403, 'Confirm your e-mail address first (see the link we sent you)'],
	link_invalid: [400, 'This link has expired or was already used'],
	last_owner: [409, 'A workspace needs at least one owner'],
	not_allowed: [403, 'Your role cannot do this'],
	already_member: [409, 'You are already a member of this workspace']
};

export function errorBody(code: string, message: string, details?: unknown) {
	return { error: { code, message, ...(details ? { details } : {}) } };
}

/** Turns any error into the API's JSON error answer. */
export function toErrorResponse(error: unknown, path: string): Response {
	if (error instanceof ApiError) {
		// A 413 leaves the rest of the body unread: close the connection rather than reuse it.
		const headers = error.status === 413 ? { connection: 'close' } : undefined;
		return json(errorBody(error.code, error.message, error.details), { status: error.status, headers });
	}
	if (error instanceof ZodError) {
		const details = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
		return json(errorBody('invalid_input', 'Some fields are not valid', details), { status: 400 });
	}
	if (error instanceof AccessDenied) {
		return error.reason === 'not_found'
			? json(errorBody('not_found', 'Not found'), { status: 404 })
			: json(errorBody('forbidden', 'Your role cannot do this'), { status: 403 });
	}
	if (error instanceof AccountError) {
		const [status, message] = accountStatus[error.reason];
		return json(errorBody(error.reason, message), { status });
	}
	if (error instanceof RateLimited) {
		return json(errorBody('rate_limited', 'Too many attempts. Try again later.'), {
			status: 429,
			headers: { 'retry-after': String(error.retryAfterSeconds) }
		});
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

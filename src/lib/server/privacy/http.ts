import type { RequestEvent } from '@sveltejs/kit';
import { ApiError } from '../http/api.ts';
import { clientIp } from '../http/request.ts';
import { services } from '../services.ts';
import { DeletionError, type DeletionContext } from './deletion.ts';

/** What the privacy routes share: the deletion context from the running services, and error mapping. */

export function deletionContext(event: Pick<RequestEvent, 'url' | 'getClientAddress'>): DeletionContext {
	const { db, keyRing, platforms, config } = services();
	return { db, keyRing, platforms, config, origin: config.origin ?? event.url.origin, ip: clientIp(event) ?? null };
}

const status: Record<DeletionError['reason'], number> = {
	name_mismatch: 400,
	sole_owner: 409,
	session_required: 403,
	not_requested: 409
};

/** Rethrows a DeletionError as the API's error (with the workspaces concerned); anything else as is. */
export function asApiError(error: unknown): never {
	if (error instanceof DeletionError) {
		throw new ApiError(status[error.reason], error.reason, error.message, error.workspaces.length ? { workspaces: error.workspaces } : undefined);
	}
	throw error;
}

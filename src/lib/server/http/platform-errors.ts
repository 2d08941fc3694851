import { ApiError } from './api.ts';
import { ConnectionError } from '../connections.ts';
import { ReplyRefused, RetryRefused } from '../platforms.ts';

const connectionStatus: Record<ConnectionError['reason'], number> = {
	not_found: 404,
	already_connected: 409,
	custom_api_url_refused: 400,
	// The platform did not accept the credentials (or they belong to another account): `details.code` says which.
	refused: 422,
	not_authorizable: 400
};

const replyStatus: Record<ReplyRefused['reason'], number> = {
	not_found: 404,
	empty: 422,
	too_long: 422,
	window_closed: 422,
	no_customer_message: 422,
	disconnected: 409,
	key_reused: 409
};

// A retry is refused because of the message's state now, not because of what was sent: 409 throughout.
const retryStatus: Record<RetryRefused['reason'], number> = {
	not_found: 404,
	not_failed: 409,
	window_closed: 409,
	no_customer_message: 409,
	disconnected: 409
};

/**
 * Connection, reply and retry refusals as API errors; anything else is re-thrown as it is. Matched by
 * name, not instanceof: a refusal thrown by connectors/pipeline comes from the server's copy of
 * src/lib, not the copy Vite bundled into the routes.
 */
export function platformError(error: unknown): unknown {
	const e = error as { name?: string; reason?: string; message?: string; code?: string } | null;
	if (e?.name === ConnectionError.name && e.reason && e.reason in connectionStatus) {
		return new ApiError(connectionStatus[e.reason as ConnectionError['reason']], e.reason, e.message ?? '', e.code ? { code: e.code } : undefined);
	}
	if (e?.name === ReplyRefused.name && e.reason && e.reason in replyStatus) {
		return new ApiError(replyStatus[e.reason as ReplyRefused['reason']], e.reason, e.message ?? '');
	}
	if (e?.name === RetryRefused.name && e.reason && e.reason in retryStatus) {
		return new ApiError(retryStatus[e.reason as RetryRefused['reason']], e.reason, e.message ?? '');
	}
	return error;
}

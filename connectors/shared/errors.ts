/** The two domain errors a connector throws. Messages carry ids and platform reasons, never tokens or message text. */

import { DomainError } from '../../src/lib/server/errors.ts';

export type MalformedReason = 'invalid_json' | 'invalid_shape';

/** The webhook body is not what the platform documents; the route answers 400. */
export class MalformedPayloadError extends DomainError<MalformedReason> {
	readonly reason: MalformedReason;
	readonly issues: readonly string[];

	constructor(reason: MalformedReason, message: string, issues: readonly string[] = []) {
		super(400, reason, message);
		this.name = 'MalformedPayloadError';
		this.reason = reason;
		this.issues = issues;
	}
}

export type SendFailure = 'retryable' | 'permanent';

export interface SendErrorDetails {
	/** The platform's error code (`190`, `error_sign`, `IllegalAccessToken`) or ours (`timeout`, `text_too_long`). */
	code?: string;
	/** HTTP status, when the platform answered. */
	status?: number;
}

/**
 * An outgoing call (send, orders, revoke) failed. `retryable`: network, timeout, 5xx, 429 and the platform's
 * rate-limit codes; `permanent`: everything else, with the platform's own reason as the message.
 */
export class SendError extends Error {
	readonly reason: SendFailure;
	readonly code: string | undefined;
	readonly status: number | undefined;

	constructor(reason: SendFailure, message: string, details: SendErrorDetails = {}) {
		super(message);
		this.name = 'SendError';
		this.reason = reason;
		this.code = details.code;
		this.status = details.status;
	}
}

import type { AccountError } from '$lib/server/accounts';
import type { PlainKey } from './types.ts';

/** What a form shows for each domain error of the accounts service. */
export const accountErrorMessage: Readonly<Record<AccountError['reason'], PlainKey>> = {
	email_taken: 'signup.error.failed',
	invalid_credentials: 'login.error.credentials',
	invitation_invalid: 'invite.error.invalid',
	invitation_email_mismatch: 'invite.error.emailMismatch',
	email_unverified: 'invite.error.unverified',
	link_invalid: 'reset.invalid.body',
	last_owner: 'members.error.lastOwner',
	not_allowed: 'members.error.notAllowed',
	already_member: 'invite.error.alreadyMember'
};

/** The subset of a schema library's error that is needed here (zod's `ZodError` fits). */
export interface IssueList {
	issues: ReadonlyArray<{ path: ReadonlyArray<PropertyKey> }>;
}

/**
 * One message per invalid field, from a validation error and the message each field shows.
 * Fields without a message of their own are left out (the form's general message covers them).
 */
export function fieldErrors<F extends string>(error: IssueList, messages: Readonly<Record<F, PlainKey>>): Partial<Record<F, PlainKey>> {
	const out: Partial<Record<F, PlainKey>> = {};
	for (const issue of error.issues) {
		const field = String(issue.path[0] ?? '') as F;
		if (field in messages && !out[field]) out[field] = messages[field];
	}
	return out;
}

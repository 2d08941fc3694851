import { fail } from '@sveltejs/kit';
import { accountErrorMessage, type PlainKey } from '$lib/i18n';
import { withoutNul } from '$lib/server/http/request';
import type { AccountError } from '$lib/server/accounts';
import { isDomainError } from '$lib/server/errors';

/** A text field of a submitted form ('' when absent or a file), without U+0000 (PostgreSQL cannot store it). */
export function text(data: FormData, name: string): string {
	const value = data.get(name);
	return typeof value === 'string' ? withoutNul(value) : '';
}

/**
 * The house-style failure: what the user typed comes back (never passwords: leave them out of
 * `values`) with a catalog key for the whole form and, optionally, one per field.
 */
export function failure<V extends Record<string, unknown>>(
	status: number,
	values: V,
	message: PlainKey,
	errors: Partial<Record<string, PlainKey>> = {}
) {
	return fail(status, { ...values, message, errors });
}

/** The catalog's sentence for a refusal an action does not word itself, by its HTTP status. */
function refusalMessage(status: number): PlainKey {
	if (status === 404) return 'form.error.notFound';
	if (status === 401 || status === 403) return 'form.error.forbidden';
	if (status === 429) return 'form.error.rateLimited';
	if (status === 400 || status === 422) return 'form.error.invalid';
	return 'form.error.generic';
}

/**
 * The last word of an action's `catch`: any refusal (a DomainError from any copy of src/lib, see
 * src/lib/server/errors.ts) becomes `fail(status)` with the sentence for its status, keeping what
 * the user typed; anything else is rethrown, an unexpected error (500).
 */
export function refused<V extends Record<string, unknown>>(error: unknown, values: V) {
	if (!isDomainError(error)) throw error;
	return failure(error.status, values, refusalMessage(error.status));
}

/** The accounts service's reason when `error` is one of its refusals (matched by code), else null. */
export function accountRefusal(error: unknown): AccountError['reason'] | null {
	return isDomainError(error) && Object.hasOwn(accountErrorMessage, error.code) ? (error.code as AccountError['reason']) : null;
}

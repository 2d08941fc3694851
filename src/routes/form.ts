import { fail } from '@sveltejs/kit';
import type { PlainKey } from '$lib/i18n';
import { withoutNul } from '$lib/server/http/request';

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

/**
 * The one base class of every refusal ChatMai throws on purpose: a stable `code` (what API clients
 * and the inbox's catalogs key on) and the HTTP `status` every boundary answers with.
 *
 * Why a brand and not `instanceof` on the concrete classes: the process runs two copies of
 * src/lib. server/, collab/ and connectors/ import these sources as they are, while the SvelteKit
 * build bundles its own copy into build/. A refusal thrown by the pipeline (server/'s copy) and
 * caught by a route (the bundle's copy) is an instance of a different `ConnectionError` class than
 * the one the route imports. Every DomainError carries a property keyed by a registered symbol
 * (`Symbol.for`, one per process), so `isDomainError` — and `instanceof DomainError`, which
 * uses it — recognises one from either copy. Boundaries map by `status` and `code`, never by
 * a concrete class or its name.
 */

const BRAND = Symbol.for('chatmai.domain-error');

/** What a refusal may add to its answer besides code, status and message. */
export interface DomainErrorOptions {
	/** Facts for API clients, sent as `error.details` (never tokens or message text). */
	details?: unknown;
	/** Response headers the refusal needs, e.g. `retry-after` on a 429. */
	headers?: Readonly<Record<string, string>>;
}

export class DomainError<Code extends string = string> extends Error {
	/** Stable machine-readable code, e.g. `not_found`, `window_closed`; part of the API. */
	readonly code: Code;
	/** The HTTP status this refusal is answered with (4xx; 503 for a service that is down). */
	readonly status: number;
	readonly details?: unknown;
	readonly headers?: Readonly<Record<string, string>>;

	/** @param message an English sentence for API clients and logs (the UI words `code` itself) */
	constructor(status: number, code: Code, message: string, options: DomainErrorOptions = {}) {
		super(message);
		this.name = new.target.name;
		this.status = status;
		this.code = code;
		if (options.details !== undefined) this.details = options.details;
		if (options.headers) this.headers = options.headers;
	}

	/**
	 * `x instanceof DomainError` holds for a DomainError of either copy of this module. A subclass
	 * keeps the ordinary check (its own copy only): branch on `code` rather than on a subclass.
	 */
	static [Symbol.hasInstance](value: unknown): boolean {
		if (this === DomainError) return isDomainError(value);
		return Function.prototype[Symbol.hasInstance].call(this, value);
	}
}

// On the prototype, so that every instance and every subclass's prototype carries it.
Object.defineProperty(DomainError.prototype, BRAND, { value: true });

/** True for a DomainError thrown by any copy of src/lib (see the module comment). */
export function isDomainError(value: unknown): value is DomainError {
	return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

/** True when `error` is a DomainError with one of `codes`: how a boundary picks out a refusal. */
export function refusedWith<C extends string>(error: unknown, ...codes: C[]): error is DomainError<C> {
	return isDomainError(error) && (codes as string[]).includes(error.code);
}

/** The JSON every HTTP boundary answers an error with: `{ error: { code, message, details? } }`. */
export function errorBody(code: string, message: string, details?: unknown) {
	return { error: { code, message, ...(details ? { details } : {}) } };
}

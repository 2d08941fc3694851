/**
 * The one HTTP client connectors use: injectable fetch, a timeout on every call, and the shared rule for
 * which failures are worth retrying. Error messages name the host and path only, never the query (tokens).
 */
import { SendError } from './errors.ts';

export const DEFAULT_TIMEOUT_MS = 10_000;

export interface ApiRequest {
	method: 'GET' | 'POST' | 'PUT' | 'DELETE';
	url: URL;
	headers?: Record<string, string>;
	body?: string;
}

export interface ApiResponse {
	status: number;
	headers: Headers;
	/** The parsed JSON body, or `undefined` when the body is empty or not JSON. */
	json: unknown;
}

export interface HttpOptions {
	fetch?: typeof fetch;
	timeoutMs?: number;
}

/** Performs one request. Network failures and timeouts become retryable `SendError`s; any HTTP status is returned. */
export async function callApi(options: HttpOptions, request: ApiRequest): Promise<ApiResponse> {
	const doFetch = options.fetch ?? fetch;
	const where = `${request.url.host}${request.url.pathname}`;
	let response: Response;
	try {
		response = await doFetch(request.url, {
			method: request.method,
			headers: request.headers,
			body: request.body,
			signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS)
		});
	} catch (error) {
		const timedOut = error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError');
		throw timedOut
			? new SendError('retryable', `timed out calling ${where}`, { code: 'timeout' })
			: new SendError('retryable', `network error calling ${where}`, { code: 'network' });
	}
	let text: string;
	try {
		text = await response.text();
	} catch {
		throw new SendError('retryable', `connection dropped reading ${where}`, { code: 'network', status: response.status });
	}
	return { status: response.status, headers: response.headers, json: safeJson(text) };
}

function safeJson(text: string): unknown {
	if (text.length === 0) return undefined;
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}

/** 5xx, 429 and the platform's own rate-limit or transient codes are retryable; any other failure is permanent. */
export function platformFailure(input: {
	status: number;
	code: string | number | undefined;
	message: string | undefined;
	retryableCodes: ReadonlySet<string>;
	platform: string;
}): SendError {
	const code = input.code === undefined ? undefined : String(input.code);
	const retryable = input.status >= 500 || input.status === 429 || (code !== undefined && input.retryableCodes.has(code));
	const reason = input.message?.trim() || `${input.platform} answered HTTP ${input.status}`;
	return new SendError(retryable ? 'retryable' : 'permanent', reason, { code, status: input.status });
}

/** Joins a base URL (which may carry a path prefix such as Lazada's `/rest`) and an API path. */
export function apiUrl(base: string, path: string): URL {
	return new URL(base.replace(/\/+$/, '') + path);
}

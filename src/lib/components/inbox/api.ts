/**
 * The browser's JSON client for the REST API, scoped to one workspace by header (the session
 * cookie authenticates; the API checks the Origin of cookie-authenticated writes).
 */

export class ApiRequestError extends Error {
	readonly status: number;
	readonly code: string;
	/** The error's `reason`, when the API gives one (e.g. `ai_unavailable`'s). */
	readonly reason: string | null;
	constructor(status: number, code: string, message: string, reason: string | null = null) {
		super(message);
		this.name = 'ApiRequestError';
		this.status = status;
		this.code = code;
		this.reason = reason;
	}
}

export interface ApiClient {
	get<T>(path: string): Promise<T>;
	send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown, headers?: Record<string, string>): Promise<T>;
}

export function apiClient(workspaceId: string, fetcher: typeof fetch = fetch): ApiClient {
	async function request<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
		let response: Response;
		try {
			response = await fetcher(`/api/v1${path}`, {
				method,
				headers: { 'x-workspace-id': workspaceId, accept: 'application/json', ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
				body: body === undefined ? undefined : JSON.stringify(body),
				credentials: 'same-origin'
			});
		} catch {
			throw new ApiRequestError(0, 'network', 'The server could not be reached');
		}
		if (response.status === 204) return undefined as T;
		const data = await response.json().catch(() => null);
		if (!response.ok) {
			const error = (data as { error?: { code?: string; message?: string; reason?: unknown } } | null)?.error;
			const reason = typeof error?.reason === 'string' ? error.reason : null;
			throw new ApiRequestError(response.status, error?.code ?? 'http_' + response.status, error?.message ?? response.statusText, reason);
		}
		return data as T;
	}
	return {
		get: (path) => request('GET', path),
		send: (method, path, body, headers) => request(method, path, body, headers)
	};
}

/**
 * The engine under every fake platform: a real `node:http` server on port 0 that records each request,
 * asks the platform's rules to authenticate and answer it, and can be told to fail the next calls.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
	method: string;
	path: string;
	query: Record<string, string>;
	headers: Record<string, string>;
	/** The body exactly as received. */
	body: string;
	/** The body parsed as JSON, or as a form when urlencoded; `undefined` when neither. */
	json: unknown;
	form: Record<string, string>;
	/** What the fake answered: HTTP status and body. */
	status?: number;
	response?: unknown;
}

export interface FakeReply {
	status: number;
	body?: unknown;
	/** An HTML page instead of a JSON body (the consent pages). */
	html?: string;
	headers?: Record<string, string>;
}

/** One platform's behaviour: how it authenticates, what it answers, what its failures look like. */
export interface PlatformRules {
	/** Answers the platform's unauthenticated endpoints (consent page, token service), or `null` for the rest. */
	public?(request: RecordedRequest): FakeReply | null;
	/** Returns the platform's own rejection when the request's signature or token is wrong, else `null`. */
	authenticate(request: RecordedRequest): FakeReply | null;
	/** Answers an authenticated request in the platform's real response shape. */
	route(request: RecordedRequest): FakeReply | Promise<FakeReply>;
	/** The platform's error body for an injected failure with this HTTP status. */
	failure(status: number): FakeReply;
}

export type InjectedFailure = number | 'timeout';

export interface FakeServer {
	baseUrl: string;
	requests: RecordedRequest[];
	/** Fails the next `count` calls with `status` in the platform's error shape, or never answers them (`'timeout'`). */
	failNext(count: number, failure?: InjectedFailure): void;
	close(): Promise<void>;
}

export async function startFakeServer(rules: PlatformRules, basePath = '', listenPort = 0): Promise<FakeServer> {
	const requests: RecordedRequest[] = [];
	const failures: InjectedFailure[] = [];

	const server = createServer(async (req, res) => {
		const recorded = await record(req, basePath);
		requests.push(recorded);
		const failure = failures.shift();
		if (failure === 'timeout') return; // the socket stays open until the client gives up or the server closes
		const reply = failure !== undefined ? rules.failure(failure) : (rules.public?.(recorded) ?? rules.authenticate(recorded) ?? (await rules.route(recorded)));
		recorded.status = reply.status;
		recorded.response = reply.body;
		answer(res, reply);
	});
	await new Promise<void>((resolve) => server.listen(listenPort, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;

	return {
		baseUrl: `http://127.0.0.1:${port}${basePath}`,
		requests,
		failNext(count, failure = 500) {
			for (let i = 0; i < count; i++) failures.push(failure);
		},
		close() {
			server.closeAllConnections();
			return new Promise((resolve) => server.close(() => resolve()));
		}
	};
}

async function record(req: IncomingMessage, basePath: string): Promise<RecordedRequest> {
	const chunks: Buffer[] = [];
	for await (const chunk of req) chunks.push(chunk as Buffer);
	const body = Buffer.concat(chunks).toString('utf8');
	const url = new URL(req.url ?? '/', 'http://fake');
	const headers: Record<string, string> = {};
	for (const [key, value] of Object.entries(req.headers)) if (typeof value === 'string') headers[key] = value;
	const isForm = (headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
	const form = isForm ? Object.fromEntries(new URLSearchParams(body)) : {};
	let json: unknown = isForm ? form : undefined;
	if (!isForm && body) {
		try {
			json = JSON.parse(body);
		} catch {
			json = undefined;
		}
	}
	const path = url.pathname.startsWith(basePath) ? url.pathname.slice(basePath.length) || '/' : url.pathname;
	return { method: req.method ?? 'GET', path, query: Object.fromEntries(url.searchParams), headers, body, json, form };
}

function answer(res: ServerResponse, reply: FakeReply): void {
	const text = reply.html ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
	res.writeHead(reply.status, { ...(text ? { 'content-type': 'application/json' } : {}), ...reply.headers });
	res.end(text);
}

let counter = 0;
/** Ids that look like the platform's and never repeat within a test run. */
export function fakeId(prefix = ''): string {
	counter += 1;
	return `${prefix}${Date.now().toString(36)}${counter.toString(36).padStart(4, '0')}`;
}

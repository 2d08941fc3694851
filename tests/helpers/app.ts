import { readConfig } from '../../src/lib/server/env.ts';
import { startApp, type RunningApp } from '../../server/app.ts';
import { testDatabaseUrl } from './db.ts';

/**
 * The real ChatMai server on port 0 against this run's test database. `env` overrides any
 * variable (e.g. DATABASE_URL through a proxy, REDIS_URL).
 */
export async function startTestApp(env: Record<string, string> = {}): Promise<RunningApp> {
	const config = readConfig({
		NODE_ENV: 'test',
		PORT: '0',
		HOST: '127.0.0.1',
		DATABASE_URL: testDatabaseUrl(),
		CHATMAI_WORKERS: 'true',
		LOG_LEVEL: 'error',
		CHATMAI_SIGNUP_LIMIT_PER_HOUR: '100000',
		...env
	});
	return startApp(config);
}

/** A small JSON client that keeps its cookie like a browser and sends a same-origin Origin header. */
export class Client {
	readonly base: string;
	cookie = '';
	bearer = '';
	constructor(base: string) {
		this.base = base;
	}

	async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
		const h: Record<string, string> = { origin: this.base, ...headers };
		if (body !== undefined && !h['content-type']) h['content-type'] = 'application/json';
		if (this.cookie) h.cookie = this.cookie;
		if (this.bearer) h.authorization = `Bearer ${this.bearer}`;
		const res = await fetch(this.base + path, {
			method,
			headers: h,
			body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
			redirect: 'manual'
		});
		const setCookie = res.headers.getSetCookie().find((c) => c.startsWith('chatmai_session='));
		if (setCookie) this.cookie = setCookie.split(';')[0];
		const text = await res.text();
		let json: any = null;
		try {
			json = text ? JSON.parse(text) : null;
		} catch {
			json = null;
		}
		return { status: res.status, json, text, headers: res.headers };
	}

	get(path: string, headers?: Record<string, string>) {
		return this.request('GET', path, undefined, headers);
	}
	post(path: string, body?: unknown, headers?: Record<string, string>) {
		return this.request('POST', path, body ?? {}, headers);
	}
}

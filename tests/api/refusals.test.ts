import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DomainError, isDomainError } from '../../src/lib/server/errors.ts';
import { toErrorResponse } from '../../src/lib/server/http/api.ts';
import { ReplyRefused } from '../../src/lib/server/platforms.ts';
import { createRequestListener, type Middleware } from '../../server/http.ts';
import type { RunningApp } from '../../server/app.ts';
import { refused } from '../../src/routes/form.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { seedConversation } from '../helpers/seed.ts';

/**
 * The error boundary (src/lib/server/errors.ts). The process runs two copies of src/lib: server/,
 * collab/ and connectors/ import the sources, the SvelteKit build bundles its own. A refusal thrown
 * by one copy and answered by the other must keep its status, so every boundary maps any
 * DomainError by its brand, status and code, and every error class is a DomainError or is named
 * below as an unexpected error.
 */

/** Error classes that are not refusals, and why none of them reaches a request's answer. */
const NOT_REFUSALS: Record<string, string> = {
	ConfigError: 'a bad environment stops the process at start-up, before anything is served',
	SendError: 'a platform call failed: the outbox worker stores it as the message’s delivery error; no request waits on it',
	CollabDenied: 'closes a live-document socket with its own close code (collab/extensions/auth.ts), not an HTTP answer',
	DocumentTooLarge: 'closes the socket that sent an oversized update (collab/extensions/limits.ts), not an HTTP answer',
	BodyTooLarge: 'internal to the webhook route, which answers it 413 where it is thrown'
};

const ROOTS = ['src/lib/server', 'connectors', 'collab', 'server'];

function sourceFiles(dir: string): string[] {
	return readdirSync(new URL(`../../${dir}/`, import.meta.url), { recursive: true, withFileTypes: true })
		.filter((entry) => entry.isFile() && entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
		.map((entry) => `${entry.parentPath}/${entry.name}`);
}

/** What a different copy of the module would make: the same source, loaded as another module instance. */
async function otherCopy() {
	const load = (path: string) => import(/* @vite-ignore */ `${new URL(path, import.meta.url).href}?copy=2`);
	const copy: typeof import('../../src/lib/server/errors.ts') = await load('../../src/lib/server/errors.ts');
	const platforms: typeof import('../../src/lib/server/platforms.ts') = await load('../../src/lib/server/platforms.ts');
	return { DomainError: copy.DomainError, ReplyRefused: platforms.ReplyRefused };
}

describe('every error class is a refusal or named as unexpected', () => {
	it('declares no Error subclass outside DomainError but the named unexpected ones', () => {
		const found: string[] = [];
		for (const root of ROOTS) {
			for (const file of sourceFiles(root)) {
				for (const [, name] of readFileSync(file, 'utf8').matchAll(/\bclass\s+(\w+)\s+extends\s+(?:\w+\.)?(?:Error|TypeError|RangeError)\b/g)) {
					if (!(name in NOT_REFUSALS)) found.push(`${name} (${file.slice(file.indexOf(root))})`);
				}
			}
		}
		expect(found, 'extend DomainError (src/lib/server/errors.ts), or name the class in NOT_REFUSALS with why it never answers a request').toEqual([]);
	});

	it('exports only DomainErrors from the services, connectors and collab, besides the named ones', async () => {
		const modules = import.meta.glob(['/src/lib/server/**/*.ts', '/connectors/**/*.ts', '/collab/**/*.ts', '!**/*.test.ts']);
		expect(Object.keys(modules).length).toBeGreaterThan(50);
		const unmapped: string[] = [];
		const refusals: string[] = [];
		for (const [path, load] of Object.entries(modules)) {
			const exports = (await load()) as Record<string, unknown>;
			for (const [name, value] of Object.entries(exports)) {
				if (typeof value !== 'function' || !(value.prototype instanceof Error)) continue;
				if (value.prototype instanceof DomainError || value === DomainError) refusals.push(name);
				else if (!(name in NOT_REFUSALS)) unmapped.push(`${name} (${path})`);
			}
		}
		expect(unmapped).toEqual([]);
		// The scan sees the refusals themselves (it would pass vacuously on an empty glob).
		expect(refusals).toEqual(expect.arrayContaining(['AccessDenied', 'AccountError', 'RateLimited', 'ConnectionError', 'ReplyRefused', 'RetryRefused', 'LiveDocumentNotFound', 'MalformedPayloadError', 'ApiError']));
	});
});

describe('a refusal from another copy of src/lib', () => {
	it('is a separate class, yet recognised by its brand', async () => {
		const other = await otherCopy();
		expect(other.DomainError).not.toBe(DomainError);
		expect(other.ReplyRefused).not.toBe(ReplyRefused);
		const error = new other.ReplyRefused('disconnected', 'Reconnect it to reply');
		expect(error instanceof ReplyRefused).toBe(false);
		expect(isDomainError(error)).toBe(true);
		expect(error instanceof DomainError).toBe(true);
		expect(isDomainError(new Error('disconnected'))).toBe(false);
	});

	it('is answered by the REST API with its own status, code and headers', async () => {
		const other = await otherCopy();
		const refusal = await toErrorResponse(new other.ReplyRefused('disconnected', 'Reconnect it to reply'), '/api/v1/x');
		expect(refusal.status).toBe(409);
		expect(await refusal.json()).toEqual({ error: { code: 'disconnected', message: 'Reconnect it to reply' } });

		const limited = toErrorResponse(new other.DomainError(429, 'rate_limited', 'Too many', { headers: { 'retry-after': '7' } }), '/api/v1/x');
		expect(limited.status).toBe(429);
		expect(limited.headers.get('retry-after')).toBe('7');
	});

	it('is not confused with an ordinary error that merely has a status and a code', async () => {
		const lookalike = Object.assign(new Error('platform said no'), { status: 400, code: 'invalid_request' });
		const response = toErrorResponse(lookalike, '/api/v1/x');
		expect(response.status).toBe(500);
		expect((await response.json()).error.code).toBe('internal');
	});

	it('becomes a form failure with its status, keeping what the user typed', async () => {
		const other = await otherCopy();
		const failure = refused(new other.DomainError(404, 'not_found', 'Gone'), { name: 'Ploy' });
		expect(failure.status).toBe(404);
		expect(failure.data).toMatchObject({ name: 'Ploy', message: 'form.error.notFound' });
		expect(() => refused(new Error('boom'), {})).toThrow('boom');
	});

	it('keeps its status when a webhook handler throws it', async () => {
		const other = await otherCopy();
		const app: Middleware = (_req, res) => res.end();
		const listener = createRequestListener(
			{
				pool: null as never,
				databaseKind: 'postgres',
				app,
				webhooks: async () => {
					throw new other.DomainError(400, 'invalid_shape', 'Not what LINE documents');
				}
			},
			{ draining: false }
		);
		const server = createServer(listener).listen(0, '127.0.0.1');
		await new Promise((resolve) => server.once('listening', resolve));
		try {
			const res = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/line`, { method: 'POST', body: '{}' });
			expect(res.status).toBe(400);
			expect(await res.json()).toEqual({ error: { code: 'invalid_shape', message: 'Not what LINE documents' } });
		} finally {
			server.close();
		}
	});
});

describe('refusals thrown by the pipeline, through the real server', () => {
	let app: RunningApp;
	let client: Client;
	let workspaceId: string;
	const db = testPool();

	beforeAll(async () => {
		app = await startTestApp();
		client = new Client(app.url);
		const res = await client.post('/api/v1/auth/signup', { email: uniqueEmail('refusals'), password: 'correct horse battery', name: 'Ploy', workspaceName: 'Ploy Shop' });
		expect(res.status).toBe(201);
		workspaceId = res.json.workspace.id;
	});
	afterAll(async () => {
		await app?.close();
		await db.end();
	});

	async function conversation(connectionStatus: 'active' | 'disconnected') {
		const { rows } = await db.query(
			`insert into platform_connections (workspace_id, platform, name, external_id, status) values ($1, 'line', 'LINE OA', $2, $3) returning id`,
			[workspaceId, crypto.randomUUID(), connectionStatus]
		);
		const conversationId = await seedConversation(db, { workspaceId, connectionId: rows[0].id }, { customer: 'Khun Nok', messages: ['Is it in stock?'] });
		const message = await db.query(`select id from messages where conversation_id = $1`, [conversationId]);
		return { conversationId, messageId: message.rows[0].id as string };
	}

	it('answers a reply on a disconnected platform 409 disconnected, not 500', async () => {
		const { conversationId } = await conversation('disconnected');
		const res = await client.post(`/api/v1/conversations/${conversationId}/replies`, { body: 'Yes, it is' }, { 'idempotency-key': crypto.randomUUID() });
		expect(res.status, JSON.stringify(res.json)).toBe(409);
		expect(res.json.error.code).toBe('disconnected');
	});

	it('answers a retry of the customer’s own message 404 not_found, not 500', async () => {
		const { conversationId, messageId } = await conversation('active');
		const res = await client.post(`/api/v1/conversations/${conversationId}/messages/${messageId}/retry`);
		expect(res.status, JSON.stringify(res.json)).toBe(404);
		expect(res.json.error).toEqual({ code: 'not_found', message: 'Message not found' });
	});

	it('answers a reply to another workspace’s conversation 404, not 500', async () => {
		const { conversationId } = await conversation('active');
		const stranger = new Client(app.url);
		expect((await stranger.post('/api/v1/auth/signup', { email: uniqueEmail('stranger'), password: 'correct horse battery', name: 'Nok', workspaceName: 'Nok Shop' })).status).toBe(201);
		const res = await stranger.post(`/api/v1/conversations/${conversationId}/replies`, { body: 'hi' }, { 'idempotency-key': crypto.randomUUID() });
		expect(res.status).toBe(404);
		expect(res.json.error.code).toBe('not_found');
	});
});

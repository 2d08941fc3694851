import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { uniqueEmail } from '../helpers/db.ts';

/** Issue 11, low item: a 10 MB chunked body (no Content-Length) answers 413, not 500. */
let app: RunningApp;
let owner: Client;
let workspaceId: string;

beforeAll(async () => {
	app = await startTestApp();
	owner = new Client(app.url);
	const res = await owner.post('/api/v1/auth/signup', { email: uniqueEmail('body'), password: 'correct horse battery', name: 'Nok', workspaceName: 'Nok Shop' });
	expect(res.status).toBe(201);
	workspaceId = res.json.workspace.id;
});
afterAll(async () => {
	await app.close();
});

/** Streams `megabytes` of a body in 64 KiB chunks with Transfer-Encoding: chunked. */
function chunked(path: string, contentType: string, megabytes: number): Promise<{ status: number; body: string }> {
	const url = new URL(path, app.url);
	return new Promise((resolve, reject) => {
		const req = request(
			{ host: url.hostname, port: url.port, path: url.pathname + url.search, method: 'POST', headers: { 'content-type': contentType, 'transfer-encoding': 'chunked', origin: app.url, cookie: owner.cookie, 'x-sveltekit-action': 'true' } },
			(res) => {
				let body = '';
				res.setEncoding('utf8').on('data', (c) => (body += c));
				res.on('end', () => resolve({ status: res.statusCode!, body }));
			}
		);
		req.on('error', (error: NodeJS.ErrnoException) => {
			// The server may close as soon as it has answered; the answer already came or comes.
			if (error.code !== 'EPIPE' && error.code !== 'ECONNRESET') reject(error);
		});
		const chunk = Buffer.alloc(64 * 1024, 'a');
		let sent = 0;
		const write = () => {
			while (sent < megabytes * 16) {
				sent++;
				if (!req.write(chunk)) return void req.once('drain', write);
			}
			req.end();
		};
		req.write('{"name":"');
		write();
	});
}

describe('an oversized chunked body', () => {
	it('answers 413 on a JSON route', async () => {
		const res = await chunked('/api/v1/canned-responses', 'application/json', 10);
		console.log(`10 MB chunked JSON: ${res.status} ${res.body.slice(0, 120)}`);
		expect(res.status).toBe(413);
		expect(JSON.parse(res.body).error.code).toBe('payload_too_large');
	});

	it('answers 413 on a form action', async () => {
		const res = await chunked(`/w/${workspaceId}/settings/canned?/create`, 'application/x-www-form-urlencoded', 10);
		console.log(`10 MB chunked form: ${res.status}`);
		expect(res.status).toBe(413);
	});
});

import { createECDH, randomBytes } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { IncomingMessage, Server } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error http_ece (web-push's own encryption) ships no types
import ece from 'http_ece';
import type { RunningApp } from '../../server/app.ts';
import { testPool } from '../helpers/db.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { createFixture, waitFor, type Fixture } from '../collab/helpers.ts';

/**
 * Web Push (issue 13, item 4): a member's subscribed browser is alerted of a new notification
 * while the app is closed. A local server plays the browser's push service; it decrypts what it
 * receives with the subscription's own keys, as the browser would.
 */

const db = testPool();
const dataDir = mkdtempSync(join(tmpdir(), 'chatmai-push-'));
let app: RunningApp;
let pushService: Server;
let pushUrl: string;
let answer = 201;
const received: { path: string; headers: IncomingMessage['headers']; body: Buffer }[] = [];

beforeAll(async () => {
	// The push service speaks TLS, as every real one does; this process trusts its own test certificate.
	execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
		'-subj', '/CN=127.0.0.1', '-keyout', join(dataDir, 'push-key.pem'), '-out', join(dataDir, 'push-cert.pem')], { stdio: 'ignore' });
	process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';
	pushService = createServer({ key: readFileSync(join(dataDir, 'push-key.pem')), cert: readFileSync(join(dataDir, 'push-cert.pem')) }, (req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			received.push({ path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks) });
			res.writeHead(answer).end();
		});
	});
	await new Promise<void>((resolve) => pushService.listen(0, '127.0.0.1', resolve));
	pushUrl = `https://127.0.0.1:${(pushService.address() as AddressInfo).port}`;
	app = await startTestApp({ CHATMAI_DATA_DIR: dataDir });
});

afterAll(async () => {
	await app?.close();
	await new Promise((resolve) => pushService.close(resolve));
	delete process.env.NODE_TLS_REJECT_UNAUTHORIZED;
	rmSync(dataDir, { recursive: true, force: true });
	await db.end();
});

function as(fx: Fixture, token: string): Client {
	const client = new Client(app.url);
	client.bearer = token;
	return client;
}

describe('Web Push', () => {
	it('sends a mention to the mentioned member’s subscribed browser, encrypted for it and signed with the served key', async () => {
		const fx = await createFixture(db);
		const browser = createECDH('prime256v1');
		const publicKey = browser.generateKeys();
		const auth = randomBytes(16);
		const agent = as(fx, fx.agentB.token);
		const key = await agent.request('GET', '/api/v1/push', undefined, { 'x-workspace-id': fx.workspaceId });
		expect(key.status).toBe(200);
		const endpoint = `${pushUrl}/send/${crypto.randomUUID()}`;
		const subscribed = await agent.request(
			'POST',
			'/api/v1/push',
			{ endpoint, keys: { p256dh: publicKey.toString('base64url'), auth: auth.toString('base64url') } },
			{ 'x-workspace-id': fx.workspaceId }
		);
		expect(subscribed.status, subscribed.text).toBe(200);

		const note = await as(fx, fx.supervisor.token).request(
			'POST',
			`/api/v1/conversations/${fx.conversationId}/notes`,
			{ body: '@Malee the customer wants a call', mentions: [fx.agentB.userId] },
			{ 'x-workspace-id': fx.workspaceId }
		);
		expect(note.status, note.text).toBe(201);

		const push = await waitFor(() => received.find((r) => endpoint.endsWith(r.path)), 'the push request');
		expect(push.headers['content-encoding']).toBe('aes128gcm');
		expect(String(push.headers.authorization)).toContain(`k=${key.json.publicKey}`);
		const payload = JSON.parse(ece.decrypt(push.body, { version: 'aes128gcm', privateKey: browser, authSecret: auth }).toString('utf8'));
		expect(payload).toEqual({
			title: 'Niran mentioned you',
			body: '@Malee the customer wants a call',
			url: `/w/${fx.workspaceId}/inbox/${fx.conversationId}`
		});
		// The author, not subscribed and not mentioned, is sent nothing.
		expect(received.filter((r) => endpoint.endsWith(r.path))).toHaveLength(1);
	});

	it('forgets a subscription the push service says is gone', async () => {
		const fx = await createFixture(db);
		const browser = createECDH('prime256v1');
		const endpoint = `${pushUrl}/gone/${crypto.randomUUID()}`;
		const agent = as(fx, fx.agentB.token);
		await agent.request(
			'POST',
			'/api/v1/push',
			{ endpoint, keys: { p256dh: browser.generateKeys().toString('base64url'), auth: randomBytes(16).toString('base64url') } },
			{ 'x-workspace-id': fx.workspaceId }
		);
		answer = 410;
		try {
			await as(fx, fx.supervisor.token).request(
				'POST',
				`/api/v1/conversations/${fx.conversationId}/notes`,
				{ body: '@Malee again', mentions: [fx.agentB.userId] },
				{ 'x-workspace-id': fx.workspaceId }
			);
			await waitFor(async () => (await db.query('select 1 from push_subscriptions where endpoint = $1', [endpoint])).rowCount === 0, 'the subscription removed');
		} finally {
			answer = 201;
		}
	});
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { seedConversation } from '../helpers/seed.ts';
import { assertFetchableUrl, isInternalAddress, publicOnlyLookup } from '../../src/lib/server/outbound.ts';

/**
 * Issue 11, low item: customers' images are served through ChatMai to workspace members only,
 * images only, with a size cap; outside test mode never from an internal address.
 */
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
let app: RunningApp;
let media: Server;
let mediaBase: string;
let hits = 0;
const db = testPool(2);

beforeAll(async () => {
	app = await startTestApp();
	media = createServer((req, res) => {
		hits++;
		if (req.url === '/cat.png') return res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
		if (req.url === '/moved') return res.writeHead(302, { location: '/cat.png' }).end();
		if (req.url === '/page.html') return res.writeHead(200, { 'content-type': 'text/html' }).end('<script>alert(1)</script>');
		if (req.url === '/huge.jpg') {
			res.writeHead(200, { 'content-type': 'image/jpeg' });
			const chunk = Buffer.alloc(1024 * 1024);
			let sent = 0;
			const write = () => {
				while (sent < 12 && !res.destroyed) {
					sent++;
					if (!res.write(chunk)) return void res.once('drain', write);
				}
				res.end();
			};
			return write();
		}
		res.writeHead(404).end();
	});
	await new Promise<void>((resolve) => media.listen(0, '127.0.0.1', resolve));
	mediaBase = `http://127.0.0.1:${(media.address() as AddressInfo).port}`;
});
afterAll(async () => {
	await app.close();
	media.closeAllConnections();
	await new Promise<void>((resolve) => media.close(() => resolve()));
	await db.end();
});

async function member(workspaceName: string) {
	const client = new Client(app.url);
	const res = await client.post('/api/v1/auth/signup', { email: uniqueEmail('media'), password: 'correct horse battery', name: 'Nok', workspaceName });
	expect(res.status).toBe(201);
	return { client, workspaceId: res.json.workspace.id as string };
}

async function messageWithImages(workspaceId: string, urls: string[]): Promise<string> {
	const conn = await db.query(
		`insert into platform_connections (workspace_id, platform, name, external_id) values ($1, 'line', 'LINE OA', $2) returning id`,
		[workspaceId, crypto.randomUUID()]
	);
	const conversationId = await seedConversation(db, { workspaceId, connectionId: conn.rows[0].id }, { customer: 'Kanya', messages: ['look'] });
	const { rows } = await db.query(`update messages set attachments = $2 where conversation_id = $1 returning id`, [
		conversationId,
		JSON.stringify(urls.map((url) => ({ kind: 'image', url })))
	]);
	return rows[0].id;
}

describe('platform media through ChatMai', () => {
	it('serves a message’s image to a member of its workspace, following a redirect', async () => {
		const { client, workspaceId } = await member('Shop');
		const id = await messageWithImages(workspaceId, [`${mediaBase}/cat.png`, `${mediaBase}/moved`]);
		for (const index of [0, 1]) {
			const res = await fetch(`${app.url}/w/${workspaceId}/media/${id}/${index}`, { headers: { cookie: client.cookie } });
			expect(res.status).toBe(200);
			expect(res.headers.get('content-type')).toBe('image/png');
			expect(res.headers.get('cache-control')).toContain('private');
			expect(Buffer.from(await res.arrayBuffer())).toEqual(PNG);
		}
	});

	it('serves nothing to someone outside the workspace or signed out, and fetches nothing for them', async () => {
		const { workspaceId } = await member('Shop');
		const stranger = await member('Other shop');
		const id = await messageWithImages(workspaceId, [`${mediaBase}/cat.png`]);
		const before = hits;
		const outsider = await fetch(`${app.url}/w/${workspaceId}/media/${id}/0`, { headers: { cookie: stranger.client.cookie } });
		const ownWorkspace = await fetch(`${app.url}/w/${stranger.workspaceId}/media/${id}/0`, { headers: { cookie: stranger.client.cookie } });
		const anonymous = await fetch(`${app.url}/w/${workspaceId}/media/${id}/0`, { redirect: 'manual' });
		console.log(`outsider ${outsider.status}, outsider via own workspace ${ownWorkspace.status}, signed out ${anonymous.status}`);
		expect(outsider.status).toBe(404);
		expect(ownWorkspace.status).toBe(404);
		expect(anonymous.status).toBe(303);
		expect(hits).toBe(before);
	});

	it('refuses what is not an image, and an image over the size cap', async () => {
		const { client, workspaceId } = await member('Shop');
		const id = await messageWithImages(workspaceId, [`${mediaBase}/page.html`, `${mediaBase}/huge.jpg`]);
		const html = await fetch(`${app.url}/w/${workspaceId}/media/${id}/0`, { headers: { cookie: client.cookie } });
		const huge = await fetch(`${app.url}/w/${workspaceId}/media/${id}/1`, { headers: { cookie: client.cookie } });
		console.log(`text/html → ${html.status}, 12 MiB image → ${huge.status}`);
		expect(html.status).toBe(415);
		expect(html.headers.get('content-type')).toContain('application/json');
		expect(huge.status).toBe(413);
	});

	it('never fetches an internal address outside test mode', async () => {
		for (const address of ['127.0.0.1', '10.1.2.3', '169.254.169.254', '192.168.1.1', '::1', '::ffff:10.0.0.1', 'fd00::1']) {
			expect(isInternalAddress(address)).toBe(true);
		}
		expect(isInternalAddress('8.8.8.8')).toBe(false);
		for (const url of ['https://127.0.0.1/x.png', 'https://[::1]/x.png', 'https://localhost/x.png', 'http://example.com/x.png', 'https://user:pw@example.com/x.png']) {
			expect(() => assertFetchableUrl(url, false)).toThrow();
		}
		expect(assertFetchableUrl('http://127.0.0.1/x.png', true).hostname).toBe('127.0.0.1');
		// A public-looking name that resolves to an internal address is refused at connect time.
		const refused = await new Promise<NodeJS.ErrnoException | null>((resolve) => publicOnlyLookup(false)('localhost', {}, (error) => resolve(error)));
		expect(refused?.code).toBe('EINTERNAL');
	});
});

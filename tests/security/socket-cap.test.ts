import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { testPool } from '../helpers/db.ts';
import { startTestApp } from '../helpers/app.ts';
import { startServer, waitFor } from '../collab/helpers.ts';

/**
 * One client address cannot hold more than its share of collab sockets (issue 11, low): the next
 * upgrade is answered 429, and a socket closed frees its place.
 */

const db = testPool();
afterAll(() => db.end());

/** Opens a WebSocket; resolves with it once open, or with the HTTP status that refused it. */
function open(url: string, headers: Record<string, string> = {}): Promise<{ ws?: WebSocket; status?: number }> {
	return new Promise((resolve, reject) => {
		const ws = new WebSocket(url, { headers });
		ws.once('open', () => resolve({ ws }));
		ws.once('unexpected-response', (_request, response) => {
			resolve({ status: response.statusCode });
			ws.terminate();
		});
		ws.once('error', (error) => reject(error));
	});
}

async function closeAll(...sockets: (WebSocket | undefined)[]): Promise<void> {
	await Promise.all(
		sockets.map((ws) => (ws && ws.readyState !== WebSocket.CLOSED ? new Promise((resolve) => (ws.once('close', resolve), ws.close())) : null))
	);
}

describe('sockets per client address', () => {
	it('refuses the socket past the cap with 429 and admits one again once a socket closes', async () => {
		const server = await startServer(db, { socketLimits: { socketsPerAddress: 3 } });
		const held = await Promise.all([open(server.url), open(server.url), open(server.url)]);
		expect(held.every((h) => h.ws)).toBe(true);
		expect((await open(server.url)).status).toBe(429);

		await closeAll(held[0].ws);
		const again = await waitFor(async () => {
			const attempt = await open(server.url);
			return attempt.ws ? attempt : null;
		}, 'a place to free up');
		expect((await open(server.url)).status).toBe(429);
		await closeAll(again?.ws, held[1].ws, held[2].ws);
		await server.close();
	});

	it('behind a proxy, the real server counts each client by the address the proxy forwards (CHATMAI_SOCKETS_PER_IP, ADDRESS_HEADER)', async () => {
		const app = await startTestApp({ CHATMAI_SOCKETS_PER_IP: '2', ADDRESS_HEADER: 'X-Forwarded-For' });
		const url = app.url.replace(/^http/, 'ws') + '/collab';
		const shop = { 'x-forwarded-for': '203.0.113.7' };
		const other = { 'x-forwarded-for': '198.51.100.1, 203.0.113.9' };
		const a = await open(url, shop);
		const b = await open(url, shop);
		expect(a.ws && b.ws).toBeTruthy();
		expect((await open(url, shop)).status).toBe(429);
		// Another client behind the same proxy (the right-most entry is the one the proxy added).
		const c = await open(url, other);
		expect(c.ws).toBeTruthy();
		await closeAll(a.ws, b.ws, c.ws);
		await app.close();
	});
});

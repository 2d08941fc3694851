import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { connect, createFixture, disconnect, startServer, waitFor, type Fixture, type TestServer } from './helpers.ts';

/**
 * Who is online, as auto-assignment sees it: an agent holding an open collab connection on this
 * instance, however many tabs and conversations, until the last one closes.
 */

const db = testPool();
let server: TestServer;
let fx: Fixture;

beforeAll(async () => {
	server = await startServer(db);
	fx = await createFixture(db);
});
afterAll(async () => {
	await server?.close();
	await db.end();
});

describe('the online registry', () => {
	it('counts an agent online while any of their connections is open, and only in their workspace', async () => {
		const registry = server.collab.online;
		expect(registry.online(fx.workspaceId).size).toBe(0);
		const first = connect(server.url, fx.docName, fx.agentA.token);
		expect(await first.ready).toBe(true);
		const second = connect(server.url, fx.docName, fx.agentA.token);
		expect(await second.ready).toBe(true);
		await waitFor(() => registry.online(fx.workspaceId).has(fx.agentA.userId), 'agent A online');
		expect([...registry.online(fx.workspaceId)]).toEqual([fx.agentA.userId]);
		expect(registry.online(crypto.randomUUID()).size).toBe(0);

		disconnect(first);
		// Still one tab open.
		await new Promise((resolve) => setTimeout(resolve, 300));
		expect(registry.online(fx.workspaceId).has(fx.agentA.userId)).toBe(true);
		disconnect(second);
		await waitFor(() => !registry.online(fx.workspaceId).has(fx.agentA.userId) || null, 'agent A offline');
	});

});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { connect, createFixture, disconnect, startServer, type Fixture, type TestServer } from './helpers.ts';
import { createSession } from '../../src/lib/server/auth/session.ts';

const db = testPool();
let server: TestServer;
let fx: Fixture;
let other: Fixture;

beforeAll(async () => {
	server = await startServer(db);
	fx = await createFixture(db);
	other = await createFixture(db);
});
afterAll(async () => {
	await server.close();
	await db.end();
});

async function expectDenied(name: string, token: string, reason: string) {
	const client = connect(server.url, name, token);
	expect(await client.ready).toBe(false);
	expect(client.denied()).toBe(reason);
	disconnect(client);
}

describe('who may open a conversation document', () => {
	it('an agent of the workspace opens it read-write', async () => {
		const client = connect(server.url, fx.docName, fx.agentA.token);
		expect(await client.ready).toBe(true);
		expect(client.provider.authorizedScope).toBe('read-write');
		disconnect(client);
	});

	it("a user of another workspace is denied, and the foreign document is never loaded", async () => {
		const conversationId = await fx.newConversation();
		await expectDenied(`conversation:${conversationId}`, other.agentA.token, 'not-found');
		expect(server.collab.hocuspocus.documents.has(`conversation:${conversationId}`)).toBe(false);
		const { rowCount } = await db.query('select 1 from collab_documents where name = $1', [`conversation:${conversationId}`]);
		expect(rowCount).toBe(0);
	});

	it('an expired session is denied', async () => {
		const { token, session } = await createSession(db, fx.agentA.userId, fx.workspaceId);
		await db.query(`update sessions set expires_at = now() - interval '1 second' where id = $1`, [session.id]);
		await expectDenied(fx.docName, token, 'unauthenticated');
	});

	it('a garbage token is denied', async () => {
		await expectDenied(fx.docName, 'garbage', 'unauthenticated');
		await expectDenied(fx.docName, 'x'.repeat(500) + '.' + 'y'.repeat(200), 'unauthenticated');
	});

	it('an unknown conversation or a name that is not conversation:<uuid> is denied before any load', async () => {
		await expectDenied(`conversation:${crypto.randomUUID()}`, fx.agentA.token, 'not-found');
		await expectDenied('notes:everything', fx.agentA.token, 'not-found');
		expect(server.collab.hocuspocus.getDocumentsCount()).toBe(0);
	});
});

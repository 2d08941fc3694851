import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { testPool } from '../helpers/db.ts';
import { connect, createFixture, disconnect, startServer, type Client, type Fixture, type TestServer } from './helpers.ts';
import { createSession, invalidateSession } from '../../src/lib/server/auth/session.ts';
import { accessChanged, clearAccessChanges, provideAccessChanges } from '../../src/lib/server/access-changes.ts';
import { conversationDocName } from '../../src/lib/conversation-doc.ts';
import { issueCollabTicket } from '../../src/lib/server/auth/collab-ticket.ts';
import { uniqueEmail } from '../helpers/db.ts';

/**
 * Issue 18, item 2: a reconnect storm does not ask PostgreSQL who a credential is once per socket
 * (collab/access-cache.ts), and an access change still takes effect for the next connection at
 * once: the cached answers it concerns are dropped.
 */
const db = testPool();
const queries: string[] = [];
/** The pool, counting the statements the collab server sends outside transactions. */
const counted = new Proxy(db, {
	get(target, prop) {
		if (prop === 'query') {
			return (text: unknown, ...rest: unknown[]) => {
				if (typeof text === 'string') queries.push(text);
				return (target.query as (...args: unknown[]) => unknown)(text, ...rest);
			};
		}
		const value = Reflect.get(target, prop, target);
		return typeof value === 'function' ? value.bind(target) : value;
	}
}) as pg.Pool;

let fx: Fixture;
let names: string[] = [];
const servers: TestServer[] = [];
const open: Client[] = [];

beforeAll(async () => {
	fx = await createFixture(db);
	names = [fx.docName];
	for (let i = 0; i < 9; i++) names.push(conversationDocName(await fx.newConversation()));
});
afterAll(async () => {
	disconnect(...open);
	for (const server of servers) await server.close();
	await db.end();
});

const ticketSecret = crypto.getRandomValues(new Uint8Array(32));

async function server(authCacheMs?: number): Promise<TestServer> {
	const started = await startServer(counted, { authCacheMs, ticketSecret });
	servers.push(started);
	return started;
}

function tab(url: string, name: string, token: string): Client {
	const client = connect(url, name, token);
	open.push(client);
	return client;
}

const sessionLookups = () => queries.filter((q) => /from sessions/.test(q)).length;
const membershipLookups = () => queries.filter((q) => /from memberships/.test(q)).length;

describe('authentication answers shared by a reconnect storm', () => {
	it('ten sockets of one agent opening ten conversations ask PostgreSQL who the agent is once, and without the cache more often', async () => {
		for (const cacheMs of [undefined, 0]) {
			const { url } = await server(cacheMs);
			queries.length = 0;
			const tabs = names.map((name) => tab(url, name, fx.agentA.token));
			expect(await Promise.all(tabs.map((t) => t.ready))).toEqual(names.map(() => true));
			expect(sessionLookups() === 1).toBe(cacheMs === undefined);
			expect(membershipLookups() === 1).toBe(cacheMs === undefined);
			disconnect(...tabs);
		}
	});

	it('twelve agents reconnecting at once with collab tickets are answered with fewer session and membership queries than sockets', async () => {
		const tickets: string[] = [];
		for (let i = 0; i < 12; i++) {
			const { rows } = await db.query(`insert into users (email, name, password_hash) values ($1, 'Agent', 'x') returning id`, [uniqueEmail('storm')]);
			await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, 'agent')`, [fx.workspaceId, rows[0].id]);
			tickets.push(issueCollabTicket(ticketSecret, (await createSession(db, rows[0].id, fx.workspaceId)).session.id).ticket);
		}
		for (const [cacheMs, fewer] of [[undefined, true], [0, false]] as const) {
			const { url } = await server(cacheMs);
			queries.length = 0;
			const tabs = tickets.map((ticket, i) => tab(url, names[i % names.length], ticket));
			expect(await Promise.all(tabs.map((t) => t.ready))).toEqual(tickets.map(() => true));
			expect(sessionLookups() < tickets.length).toBe(fewer);
			expect(membershipLookups() < tickets.length).toBe(fewer);
			disconnect(...tabs);
		}
	});

	it('a signed-out session is refused at its next connection although its answer was cached', async () => {
		const shared = await server();
		provideAccessChanges(shared.collab.access);
		try {
			const { token, session } = await createSession(db, fx.agentB.userId, fx.workspaceId);
			const first = tab(shared.url, names[0], token);
			expect(await first.ready).toBe(true);
			await invalidateSession(db, session.id);
			const next = tab(shared.url, names[1], token);
			expect(await next.ready).toBe(false);
			expect(next.denied()).toBe('unauthenticated');
		} finally {
			clearAccessChanges(shared.collab.access);
		}
	});

	it('a member removed from the workspace is refused at the next connection although the scope was cached', async () => {
		const shared = await server();
		provideAccessChanges(shared.collab.access);
		try {
			const first = tab(shared.url, names[2], fx.supervisor.token);
			expect(await first.ready).toBe(true);
			await db.query('delete from memberships where workspace_id = $1 and user_id = $2', [fx.workspaceId, fx.supervisor.userId]);
			accessChanged({ type: 'user', userId: fx.supervisor.userId });
			const next = tab(shared.url, names[3], fx.supervisor.token);
			expect(await next.ready).toBe(false);
			expect(next.denied()).toBe('not-found');
		} finally {
			clearAccessChanges(shared.collab.access);
		}
	});
});

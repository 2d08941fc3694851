import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as Y from 'yjs';
import { HocuspocusProvider } from '@hocuspocus/provider';
import type pg from 'pg';
import { createCollab, type Collab, type CollabOptions } from '../../collab/index.ts';
import { createSession } from '../../src/lib/server/auth/session.ts';
import { conversationDocName } from '../../src/lib/conversation-doc.ts';
import { afterAll, beforeAll } from 'vitest';
import { testPool, uniqueEmail } from '../helpers/db.ts';

/** A real collab server on a bare node:http server, port 0, routed the way server/ mounts it. */
export interface TestServer {
	collab: Collab;
	url: string;
	http: Server;
	/** Destroys the collab instance and closes the http server. */
	close(): Promise<void>;
}

export async function startServer(db: pg.Pool, options: Partial<CollabOptions> = {}): Promise<TestServer> {
	const collab = createCollab({ db, debounceMs: 200, maxDebounceMs: 1000, ...options });
	const http = createServer((_req, res) => res.writeHead(404).end());
	http.on('upgrade', (req, socket, head) => {
		if (new URL(req.url ?? '/', 'http://x').pathname === '/collab') collab.handleUpgrade(req, socket, head);
		else socket.destroy();
	});
	await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
	const { port } = http.address() as AddressInfo;
	let closed: Promise<void> | undefined;
	return {
		collab,
		http,
		url: `ws://127.0.0.1:${port}/collab`,
		close: () =>
			(closed ??= (async () => {
				await collab.destroy();
				http.closeAllConnections();
				await new Promise<void>((resolve) => http.close(() => resolve()));
			})())
	};
}

export interface Member {
	userId: string;
	name: string;
	token: string;
}

export interface Fixture {
	workspaceId: string;
	connectionId: string;
	conversationId: string;
	docName: string;
	agentA: Member;
	agentB: Member;
	supervisor: Member;
	/** Another conversation in the same workspace. */
	newConversation(): Promise<string>;
}

async function member(db: pg.Pool, workspaceId: string, name: string, role: string): Promise<Member> {
	const { rows } = await db.query(`insert into users (email, name, password_hash) values ($1, $2, 'x') returning id`, [uniqueEmail(role), name]);
	const userId = rows[0].id as string;
	await db.query('insert into memberships (workspace_id, user_id, role) values ($1, $2, $3)', [workspaceId, userId, role]);
	const { token } = await createSession(db, userId, workspaceId);
	return { userId, name, token };
}

/** A workspace with two agents, a supervisor, a LINE connection, a contact and a conversation. */
export async function createFixture(db: pg.Pool): Promise<Fixture> {
	const ws = await db.query(`insert into workspaces (name) values ('Shop') returning id`);
	const workspaceId = ws.rows[0].id as string;
	const agentA = await member(db, workspaceId, 'Somchai', 'agent');
	const agentB = await member(db, workspaceId, 'Malee', 'agent');
	const supervisor = await member(db, workspaceId, 'Niran', 'supervisor');
	const conn = await db.query(
		`insert into platform_connections (workspace_id, platform, name, external_id) values ($1, 'line', 'LINE', $2) returning id`,
		[workspaceId, crypto.randomUUID()]
	);
	const connectionId = conn.rows[0].id as string;
	const newConversation = async () => {
		const contact = await db.query(`insert into contacts (workspace_id, display_name) values ($1, 'Customer') returning id`, [workspaceId]);
		const identity = await db.query(
			`insert into contact_identities (workspace_id, contact_id, connection_id, platform, external_id) values ($1, $2, $3, 'line', $4) returning id`,
			[workspaceId, contact.rows[0].id, connectionId, crypto.randomUUID()]
		);
		const conversation = await db.query(
			`insert into conversations (workspace_id, connection_id, contact_id, contact_identity_id, platform, external_thread_id)
			 values ($1, $2, $3, $4, 'line', $5) returning id`,
			[workspaceId, connectionId, contact.rows[0].id, identity.rows[0].id, crypto.randomUUID()]
		);
		return conversation.rows[0].id as string;
	};
	const conversationId = await newConversation();
	return { workspaceId, connectionId, conversationId, docName: conversationDocName(conversationId), agentA, agentB, supervisor, newConversation };
}

/** Inserts `count` messages into PostgreSQL, one second apart, ending now. */
export async function insertMessages(db: pg.Pool, fixture: Pick<Fixture, 'workspaceId' | 'connectionId'>, conversationId: string, count: number, body = 'hello there') {
	await db.query(
		`insert into messages (workspace_id, conversation_id, connection_id, direction, sender_type, body, sent_at)
		 select $1, $2, $3, case when i % 2 = 0 then 'in' else 'out' end, case when i % 2 = 0 then 'customer' else 'agent' end,
		        $5 || ' ' || i, now() - make_interval(secs => $4 - i)
		   from generate_series(1, $4::int) i`,
		[fixture.workspaceId, conversationId, fixture.connectionId, count, body]
	);
}

export interface Client {
	provider: HocuspocusProvider;
	doc: Y.Doc;
	/** Resolves true once synced, false when authentication failed. */
	ready: Promise<boolean>;
	denied: () => string | null;
}

export function connect(url: string, name: string, token: string): Client {
	const doc = new Y.Doc();
	let deniedReason: string | null = null;
	let resolveReady!: (value: boolean) => void;
	const ready = new Promise<boolean>((resolve) => (resolveReady = resolve));
	const provider = new HocuspocusProvider({
		url,
		name,
		token,
		document: doc,
		onSynced: () => resolveReady(true),
		onAuthenticationFailed: ({ reason }) => {
			deniedReason = reason;
			resolveReady(false);
		}
	});
	return { provider, doc, ready, denied: () => deniedReason };
}

export function disconnect(...clients: Client[]): void {
	for (const client of clients) {
		client.provider.destroy();
		client.doc.destroy();
	}
}

/** Polls `check` until it returns a truthy value; throws with `what` after `timeoutMs`. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 10_000): Promise<NonNullable<T>> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	for (;;) {
		try {
			const value = await check();
			if (value) return value as NonNullable<T>;
		} catch (error) {
			last = error;
		}
		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
		await new Promise((resolve) => setTimeout(resolve, 20));
	}
}

export interface SharedServer {
	db: pg.Pool;
	server: TestServer;
	fx: Fixture;
}

/**
 * One collab server and one workspace fixture for a whole test file: started before its tests,
 * closed after them. Read `server` and `fx` inside tests (they are set in beforeAll).
 */
export function sharedServer(): SharedServer {
	const db = testPool();
	const shared = { db } as SharedServer;
	beforeAll(async () => {
		shared.server = await startServer(db);
		shared.fx = await createFixture(db);
	});
	afterAll(async () => {
		await shared.server?.close();
		await db.end();
	});
	return shared;
}

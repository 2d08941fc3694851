import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { Client as ApiClient, startTestApp } from '../helpers/app.ts';
import { connect, createFixture, disconnect, startServer, waitFor, type Client, type Fixture, type TestServer } from '../collab/helpers.ts';
import type { RunningApp } from '../../server/app.ts';
import type { LiveDocuments } from '../../src/lib/server/ports.ts';
import { createSession, invalidateSession } from '../../src/lib/server/auth/session.ts';
import { createApiToken } from '../../src/lib/server/auth/api-tokens.ts';
import { hashPassword } from '../../src/lib/server/auth/password.ts';
import { provideAccessChanges, clearAccessChanges } from '../../src/lib/server/access-changes.ts';
import { accessPublisher } from '../../collab/access.ts';
import { conversationDoc, conversationDocName, readMessages } from '../../src/lib/conversation-doc.ts';
import { addLabel, addNote } from '../../src/lib/conversation-edits.ts';

/**
 * Taking access away reaches sockets that are already open (issue 11, item 1): after each change
 * the socket stops receiving the conversation's new messages and its edits stop reaching
 * PostgreSQL (or, for a supervisor, only the edits stop). Agent B, whose access does not change,
 * is the control on the same document: what B sees and writes proves the server has moved on.
 */

const db = testPool();
const PASSWORD = 'correct horse battery';

interface Person {
	userId: string;
	token: string;
	sessionId: string;
}

async function person(fx: Fixture, role: string): Promise<Person> {
	const { rows } = await db.query(`insert into users (email, name, password_hash) values ($1, 'Kanya', $2) returning id`, [uniqueEmail(role), await hashPassword(PASSWORD)]);
	const userId = rows[0].id as string;
	await db.query('insert into memberships (workspace_id, user_id, role) values ($1, $2, $3)', [fx.workspaceId, userId, role]);
	const { token, session } = await createSession(db, userId, fx.workspaceId);
	return { userId, token, sessionId: session.id };
}

/** A customer message committed to PostgreSQL and mirrored into the live document. */
async function customerWrites(live: LiveDocuments, fx: Fixture, conversationId: string): Promise<string> {
	const id = crypto.randomUUID();
	const sentAt = new Date();
	await db.query(
		`insert into messages (id, workspace_id, conversation_id, connection_id, direction, sender_type, body, sent_at)
		 values ($1, $2, $3, $4, 'in', 'customer', 'Where is my order?', $5)`,
		[id, fx.workspaceId, conversationId, fx.connectionId, sentAt]
	);
	await live.appendMessage(
		fx.workspaceId,
		conversationId,
		{ id, direction: 'in', senderType: 'customer', authorId: null, body: 'Where is my order?', attachments: [], sentAt: sentAt.toISOString(), deliveryState: null, deliveryError: null },
		{ source: 'connector', platform: 'line' }
	);
	return id;
}

/** The connection whose access changes, and its user. */
interface Subject extends Client {
	userId: string;
}

const has = (client: Client, messageId: string) => readMessages(client.doc).some((m) => m.id === messageId);

async function storedLabels(conversationId: string): Promise<string[]> {
	const { rows } = await db.query<{ labels: string[] }>('select labels from conversations where id = $1', [conversationId]);
	return rows[0]?.labels ?? [];
}

/**
 * One round: `subject` edits (a label and a note), then the control agent, after a full round
 * trip through the server, adds its own label; once the control's label is stored, says whether
 * the subject's edits were stored too.
 */
async function subjectEditsStored(live: LiveDocuments, fx: Fixture, conversationId: string, subject: Subject, control: Client, round: string): Promise<boolean> {
	const label = `probe ${round}`;
	addLabel(subject.doc, label);
	const note = addNote(subject.doc, { body: `probe note ${round}`, authorId: subject.userId, authorName: 'Kanya' });
	// Anything the subject sent has reached the server before this message has reached the control.
	const fence = await customerWrites(live, fx, conversationId);
	await waitFor(() => has(control, fence), 'the fence message at the control');
	addLabel(control.doc, `control ${round}`);
	await waitFor(async () => (await storedLabels(conversationId)).includes(`control ${round}`), `the control label ${round}`);
	const labels = await storedLabels(conversationId);
	const notes = await db.query('select 1 from notes where id = $1', [note.id]);
	return labels.includes(label) || (notes.rowCount ?? 0) > 0;
}

/** Polls, round after round, until the subject's edits stop being stored. */
async function waitUntilEditsRefused(live: LiveDocuments, fx: Fixture, conversationId: string, subject: Subject, control: Client): Promise<void> {
	let round = 0;
	await waitFor(async () => !(await subjectEditsStored(live, fx, conversationId, subject, control, `r${++round}`)), 'the edits to be refused', 15_000);
	// And they stay refused.
	expect(await subjectEditsStored(live, fx, conversationId, subject, control, 'after')).toBe(false);
}

/** After the change: a new customer message reaches the control and (unless `stillReads`) not the subject. */
async function expectNoNewMessages(live: LiveDocuments, fx: Fixture, conversationId: string, subject: Client, control: Client): Promise<void> {
	const first = await customerWrites(live, fx, conversationId);
	await waitFor(() => has(control, first), 'the message at the control');
	const second = await customerWrites(live, fx, conversationId);
	await waitFor(() => has(control, second), 'the second message at the control');
	expect(has(subject, first)).toBe(false);
	expect(has(subject, second)).toBe(false);
}

describe('one instance: every way of taking access away reaches the open socket', () => {
	let app: RunningApp;
	let fx: Fixture;
	let owner: Person;
	let live: LiveDocuments;
	let collabUrl: string;

	beforeAll(async () => {
		app = await startTestApp();
		live = app.services.live;
		collabUrl = app.url.replace(/^http/, 'ws') + '/collab';
		fx = await createFixture(db);
		owner = await person(fx, 'owner');
	});
	afterAll(async () => {
		await app?.close();
	});

	/** Opens a fresh conversation with the subject (authenticated with `token`) and the control connected. */
	async function open(userId: string, token: string) {
		const conversationId = await fx.newConversation();
		const subject = { ...connect(collabUrl, conversationDocName(conversationId), token), userId };
		const control = connect(collabUrl, conversationDocName(conversationId), fx.agentB.token);
		expect(await subject.ready).toBe(true);
		expect(await control.ready).toBe(true);
		// The subject's edits are stored before the change: the probes can tell.
		expect(await subjectEditsStored(live, fx, conversationId, subject, control, 'before')).toBe(true);
		return { conversationId, subject, control };
	}

	const api = (token: string) => {
		const client = new ApiClient(app.url);
		client.bearer = token;
		return client;
	};

	it('removing a member closes their socket: no new messages, no stored edits', async () => {
		const agent = await person(fx, 'agent');
		const { conversationId, subject, control } = await open(agent.userId, agent.token);
		expect((await api(owner.token).request('DELETE', `/api/v1/members/${agent.userId}`)).status).toBe(200);
		await waitUntilEditsRefused(live, fx, conversationId, subject, control);
		await expectNoNewMessages(live, fx, conversationId, subject, control);
		disconnect(subject, control);
	});

	it('downgrading an agent to supervisor makes their socket read-only: it still reads, its edits are not stored', async () => {
		const agent = await person(fx, 'agent');
		const { conversationId, subject, control } = await open(agent.userId, agent.token);
		expect((await api(owner.token).request('PATCH', `/api/v1/members/${agent.userId}`, { role: 'supervisor' })).status).toBe(200);
		await waitUntilEditsRefused(live, fx, conversationId, subject, control);
		const message = await customerWrites(live, fx, conversationId);
		await waitFor(() => has(subject, message), 'the new message at the read-only subject');
		expect(conversationDoc(subject.doc).labels.has('probe after')).toBe(true); // only its own copy
		disconnect(subject, control);
	});

	it('logging out closes the socket opened with a collab ticket for that session', async () => {
		const agent = await person(fx, 'agent');
		const ticket = await api(agent.token).post('/api/v1/collab/ticket');
		expect(ticket.status).toBe(200);
		const { conversationId, subject, control } = await open(agent.userId, ticket.json.ticket);
		expect((await api(agent.token).post('/api/v1/auth/logout')).status).toBe(200);
		await waitUntilEditsRefused(live, fx, conversationId, subject, control);
		await expectNoNewMessages(live, fx, conversationId, subject, control);
		disconnect(subject, control);
	});

	it('revoking an API token closes the socket opened with it', async () => {
		const agent = await person(fx, 'agent');
		const { token, apiToken } = await createApiToken(db, agent.userId, fx.workspaceId, 'script');
		const { conversationId, subject, control } = await open(agent.userId, token);
		expect((await api(agent.token).request('DELETE', `/api/v1/tokens/${apiToken.id}`)).status).toBe(200);
		await waitUntilEditsRefused(live, fx, conversationId, subject, control);
		await expectNoNewMessages(live, fx, conversationId, subject, control);
		disconnect(subject, control);
	});

	it('deleting the account closes its sockets', async () => {
		const agent = await person(fx, 'agent');
		const { conversationId, subject, control } = await open(agent.userId, agent.token);
		expect((await api(agent.token).request('DELETE', '/api/v1/account', { password: PASSWORD })).status).toBe(200);
		await waitUntilEditsRefused(live, fx, conversationId, subject, control);
		await expectNoNewMessages(live, fx, conversationId, subject, control);
		// The provider, reconnecting, is refused.
		await waitFor(() => subject.denied(), 'the reconnect to be refused');
		disconnect(subject, control);
	});
	it('closing the workspace for deletion closes every member\'s socket', async () => {
		const shop = await createFixture(db);
		const shopOwner = await person(shop, 'owner');
		const conversationId = await shop.newConversation();
		const sockets = [shop.agentA, shop.supervisor].map((m) => connect(collabUrl, conversationDocName(conversationId), m.token));
		const closed = sockets.map((client) => {
			let reason: string | null = null;
			client.provider.on('close', ({ event }: { event: { reason: string } }) => (reason ??= event.reason));
			return () => reason;
		});
		for (const client of sockets) expect(await client.ready).toBe(true);
		const res = await api(shopOwner.token).request('DELETE', '/api/v1/workspace', { confirmName: 'Shop' }, { 'x-workspace-id': shop.workspaceId });
		expect(res.status).toBe(202);
		for (const [i, client] of sockets.entries()) {
			await waitFor(() => closed[i]() === 'access-revoked', 'the socket to be closed');
			await waitFor(() => client.denied(), 'the reconnect to be refused');
		}
		disconnect(...sockets);
	});
});

describe('two instances on Redis: a change made on one instance reaches sockets on the other', () => {
	const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
	const redisPrefix = `chatmai-test-${crypto.randomUUID().slice(0, 8)}`;
	let one: TestServer;
	let two: TestServer;
	let fx: Fixture;

	beforeAll(async () => {
		one = await startServer(db, { redisUrl, redisPrefix, redisSyncDelayMs: 200 });
		two = await startServer(db, { redisUrl, redisPrefix, redisSyncDelayMs: 200 });
		// The process that makes the change runs instance one only.
		provideAccessChanges(one.collab.access);
		fx = await createFixture(db);
	});
	afterAll(async () => {
		clearAccessChanges(one.collab.access);
		await Promise.all([one?.close(), two?.close()]);
		await db.end();
	});

	it('logging out on instance one closes the socket on instance two', async () => {
		const agent = await person(fx, 'agent');
		const conversationId = await fx.newConversation();
		const subject = { ...connect(two.url, conversationDocName(conversationId), agent.token), userId: agent.userId };
		const control = connect(two.url, conversationDocName(conversationId), fx.agentB.token);
		expect(await subject.ready).toBe(true);
		expect(await control.ready).toBe(true);
		expect(await subjectEditsStored(one.collab.live, fx, conversationId, subject, control, 'before')).toBe(true);

		await invalidateSession(db, agent.sessionId);
		await waitUntilEditsRefused(one.collab.live, fx, conversationId, subject, control);
		await expectNoNewMessages(one.collab.live, fx, conversationId, subject, control);
		disconnect(subject, control);
	});

	it('a workspace closed from a process without sockets (the operator CLI) closes its members\' sockets on both instances', async () => {
		const shop = await createFixture(db);
		const conversationId = await shop.newConversation();
		const sockets = [connect(one.url, conversationDocName(conversationId), shop.agentA.token), connect(two.url, conversationDocName(conversationId), shop.agentB.token)];
		const closed = sockets.map((client) => {
			let reason: string | null = null;
			client.provider.on('close', ({ event }: { event: { reason: string } }) => (reason ??= event.reason));
			return () => reason;
		});
		for (const client of sockets) expect(await client.ready).toBe(true);
		await db.query('delete from memberships where workspace_id = $1', [shop.workspaceId]);
		const cli = accessPublisher({ redisUrl, redisPrefix });
		cli.accessChanged({ type: 'workspace', workspaceId: shop.workspaceId });
		await cli.close();
		for (const isClosed of closed) await waitFor(() => isClosed() === 'access-revoked', 'the socket to be closed');
		disconnect(...sockets);
	});
});

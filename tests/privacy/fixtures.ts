import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'vitest';
import type { Pool } from '../../src/lib/server/db.ts';
import type { KeyRing } from '../../src/lib/server/crypto.ts';
import { sealCredentials } from '../../src/lib/server/connections.ts';
import { createInvitation, acceptInvitation } from '../../src/lib/server/accounts.ts';
import { scopeFor } from '../../src/lib/server/scope.ts';
import { Client } from '../helpers/app.ts';
import { uniqueEmail } from '../helpers/db.ts';

export const PASSWORD = 'correct horse battery';

export interface Account {
	client: Client;
	email: string;
	userId: string;
	workspaceId: string;
	workspaceName: string;
}

/** Signs up over the API: a user, their workspace (owner), a client holding the session cookie. */
export async function signUp(base: string, label = 'owner'): Promise<Account> {
	const client = new Client(base);
	const email = uniqueEmail(label);
	const workspaceName = `Shop ${crypto.randomUUID().slice(0, 6)}`;
	const res = await client.post('/api/v1/auth/signup', { email, password: PASSWORD, name: label, workspaceName });
	expect(res.status).toBe(201);
	return { client, email, userId: res.json.user.id, workspaceId: res.json.workspace.id, workspaceName };
}

/** Adds `member` to `owner`'s workspace with `role`; the member's client then works there. */
export async function join(db: Pool, owner: Account, member: Account, role: 'admin' | 'agent' | 'supervisor'): Promise<void> {
	const principal = { kind: 'session' as const, userId: owner.userId, email: owner.email, name: 'owner', locale: 'en' as const, credentialId: 'test', workspaceId: owner.workspaceId };
	const scope = await scopeFor(db, principal, owner.workspaceId);
	const { token } = await createInvitation(db, scope, { role });
	await acceptInvitation(db, token, { id: member.userId, email: member.email, name: 'member', locale: 'en' });
}

export interface Seeded {
	connectionId: string;
	contactId: string;
	conversationId: string;
	/** A text that appears in this workspace's messages and nowhere else. */
	marker: string;
}

/**
 * A connection with sealed credentials, a contact, a conversation with messages (`ages` in days,
 * by created_at and sent_at), a note, an order, an inbound event and a live document.
 */
export async function seedWorkspace(
	db: Pool,
	keyRing: KeyRing,
	workspaceId: string,
	authorId: string | null,
	ages: number[] = [0],
	/** Where the connector calls LINE (a revoke on disconnect); never the real one in tests. @default a closed port */
	apiBaseUrl = 'http://127.0.0.1:9'
): Promise<Seeded> {
	const marker = `marker-${crypto.randomUUID()}`;
	const { rows: [conn] } = await db.query(
		`insert into platform_connections (workspace_id, platform, name, external_id, verify_token, settings)
		 values ($1, 'line', 'Shop LINE', $2, 'verify-secret-' || $2, $3) returning id`,
		[workspaceId, `U${crypto.randomUUID().replaceAll('-', '')}`, { apiBaseUrl }]
	);
	const sealed = sealCredentials(keyRing, conn.id, { channelSecret: `secret-${marker}`, channelAccessToken: `token-${marker}` });
	await db.query(
		`insert into platform_credentials (connection_id, workspace_id, key_id, iv, ciphertext, auth_tag) values ($1, $2, $3, $4, $5, $6)`,
		[conn.id, workspaceId, sealed.keyId, sealed.iv, sealed.ciphertext, sealed.authTag]
	);
	const { rows: [contact] } = await db.query(`insert into contacts (workspace_id, display_name) values ($1, 'Customer') returning id`, [workspaceId]);
	const { rows: [identity] } = await db.query(
		`insert into contact_identities (workspace_id, contact_id, connection_id, platform, external_id) values ($1, $2, $3, 'line', $4) returning id`,
		[workspaceId, contact.id, conn.id, `cust-${marker}`]
	);
	const newest = Math.min(...ages);
	const { rows: [conversation] } = await db.query(
		`insert into conversations (workspace_id, connection_id, contact_id, contact_identity_id, platform, external_thread_id, last_message_at, created_at, last_message_preview, reply_token)
		 values ($1, $2, $3, $4, 'line', $5, now() - make_interval(days => $6), now() - make_interval(days => $7), $8, 'reply-token-secret')
		 returning id`,
		[workspaceId, conn.id, contact.id, identity.id, `thread-${marker}`, newest, Math.max(...ages), marker]
	);
	for (const [i, age] of ages.entries()) {
		await db.query(
			`insert into messages (workspace_id, conversation_id, connection_id, platform_message_id, direction, sender_type, body, sent_at, created_at)
			 values ($1, $2, $3, $4, 'in', 'customer', $5, now() - make_interval(days => $6), now() - make_interval(days => $6))`,
			[workspaceId, conversation.id, conn.id, `pm-${marker}-${i}`, `${marker} message ${i} aged ${age}`, age]
		);
	}
	await db.query(`insert into notes (workspace_id, conversation_id, author_id, body) values ($1, $2, $3, $4)`, [workspaceId, conversation.id, authorId, `${marker} note`]);
	await db.query(
		`insert into orders (workspace_id, connection_id, contact_identity_id, external_order_id, status, total) values ($1, $2, $3, $4, 'paid', 199)`,
		[workspaceId, conn.id, identity.id, `order-${marker}`]
	);
	await db.query(
		`insert into inbound_events (workspace_id, connection_id, platform, event_id, kind, payload, processed_at) values ($1, $2, 'line', $3, 'message', $4, now())`,
		[workspaceId, conn.id, `ev-${marker}`, JSON.stringify({ text: marker })]
	);
	await db.query(`insert into collab_documents (name, workspace_id, state) values ($1, $2, '\\x00')`, [`conversation:${conversation.id}`, workspaceId]);
	return { connectionId: conn.id, contactId: contact.id, conversationId: conversation.id, marker };
}

/** Rows that carry `workspaceId`, per table with a workspace_id column (found in the catalog). */
export async function rowsPerTable(db: Pool, workspaceId: string): Promise<Record<string, number>> {
	const { rows: tables } = await db.query<{ table_name: string }>(
		`select c.table_name from information_schema.columns c
		   join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
		  where c.table_schema = current_schema() and c.column_name = 'workspace_id' and t.table_type = 'BASE TABLE'`
	);
	const counts: Record<string, number> = {};
	for (const { table_name } of tables) {
		const { rows } = await db.query(`select count(*)::int as n from "${table_name}" where workspace_id = $1`, [workspaceId]);
		counts[table_name] = rows[0].n;
	}
	const ws = await db.query('select count(*)::int as n from workspaces where id = $1', [workspaceId]);
	counts.workspaces = ws.rows[0].n;
	return counts;
}

/** Waits until `check` is true (background work such as the purge after a deletion). */
export async function eventually(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
	const until = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > until) throw new Error('condition not met in time');
		await new Promise((r) => setTimeout(r, 50));
	}
}

/** A stand-in for LINE's token revoke endpoint that records the tokens it was asked to revoke. */
export async function startRevokeRecorder(): Promise<{ baseUrl: string; revoked: string[]; close(): Promise<void> }> {
	const revoked: string[] = [];
	const server = createServer((req, res) => {
		let body = '';
		req.on('data', (chunk) => (body += chunk));
		req.on('end', () => {
			if (req.url === '/v2/oauth/revoke') revoked.push(new URLSearchParams(body).get('access_token') ?? '');
			res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	return { baseUrl: `http://127.0.0.1:${port}`, revoked, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

import type { Queryable } from '../../src/lib/server/db.ts';
import { uniqueEmail } from './db.ts';

/** A workspace with an owner, straight in SQL, for tests that need data rather than sign-up. */
export async function seedWorkspace(db: Queryable, role: 'owner' | 'admin' | 'agent' | 'supervisor' = 'owner') {
	const user = await db.query(`insert into users (email, name, password_hash) values ($1, 'Owner', 'x') returning id`, [uniqueEmail('seed')]);
	const ws = await db.query(`insert into workspaces (name) values ('Seed Shop') returning id`);
	await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, $3)`, [ws.rows[0].id, user.rows[0].id, role]);
	const conn = await db.query(
		`insert into platform_connections (workspace_id, platform, name, external_id) values ($1, 'line', 'LINE OA', $2) returning id`,
		[ws.rows[0].id, crypto.randomUUID()]
	);
	return { workspaceId: ws.rows[0].id as string, userId: user.rows[0].id as string, connectionId: conn.rows[0].id as string };
}

export interface SeedConversation {
	customer: string;
	messages?: string[];
	at?: Date;
	assigneeId?: string | null;
	status?: 'open' | 'pending' | 'snoozed' | 'resolved';
	labels?: string[];
}

/** One customer with one conversation and its messages. */
export async function seedConversation(db: Queryable, ws: { workspaceId: string; connectionId: string }, c: SeedConversation): Promise<string> {
	const contact = await db.query(`insert into contacts (workspace_id, display_name) values ($1, $2) returning id`, [ws.workspaceId, c.customer]);
	const ext = crypto.randomUUID();
	const identity = await db.query(
		`insert into contact_identities (workspace_id, contact_id, connection_id, platform, external_id) values ($1, $2, $3, 'line', $4) returning id`,
		[ws.workspaceId, contact.rows[0].id, ws.connectionId, ext]
	);
	const at = c.at ?? new Date();
	const messages = c.messages ?? [];
	const conv = await db.query(
		`insert into conversations (workspace_id, connection_id, contact_id, contact_identity_id, platform, external_thread_id,
		   status, assignee_id, labels, last_message_at, last_message_preview, message_count)
		 values ($1, $2, $3, $4, 'line', $5, $6, $7, $8, $9, $10, $11) returning id`,
		[ws.workspaceId, ws.connectionId, contact.rows[0].id, identity.rows[0].id, ext, c.status ?? 'open', c.assigneeId ?? null, c.labels ?? [], at, messages.at(-1) ?? '', messages.length]
	);
	for (const [i, body] of messages.entries()) {
		await db.query(
			`insert into messages (workspace_id, conversation_id, connection_id, platform_message_id, direction, sender_type, body, sent_at)
			 values ($1, $2, $3, $4, 'in', 'customer', $5, $6)`,
			[ws.workspaceId, conv.rows[0].id, ws.connectionId, crypto.randomUUID(), body, new Date(at.getTime() - (messages.length - i) * 1000)]
		);
	}
	return conv.rows[0].id;
}

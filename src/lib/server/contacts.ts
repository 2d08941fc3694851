import type { Queryable } from './db.ts';
import { getConversation, type ConversationSummary } from './conversations.ts';
import { AccessDenied, isUuid, type WorkspaceScope } from './scope.ts';

/**
 * What the conversation view shows beside the chat: the customer with their profile on each
 * platform, their other conversations, and the facts the reply box needs before sending (the
 * platform's length limit and reply window, and when the customer last wrote).
 */

/** Profile fields shown to agents; anything else a platform sends stays in the database. */
const PROFILE_FIELDS = ['name', 'username', 'displayName', 'nickname', 'email', 'phone', 'locale', 'language', 'country', 'statusMessage'] as const;

export interface ContactIdentity {
	id: string;
	platform: string;
	connectionName: string;
	externalId: string;
	/** Plain strings only, from PROFILE_FIELDS; rendered as text. */
	profile: Record<string, string>;
	createdAt: string;
}

export interface OtherConversation {
	id: string;
	platform: string;
	status: ConversationSummary['status'];
	lastMessageAt: string;
	lastMessagePreview: string;
}

export interface ConversationDetail {
	conversation: ConversationSummary;
	contact: { id: string; name: string; avatarUrl: string | null; createdAt: string };
	identities: ContactIdentity[];
	otherConversations: OtherConversation[];
	/** ISO 8601; null when the customer has never written (some platforms then refuse replies). */
	lastCustomerMessageAt: string | null;
	connectionActive: boolean;
}

function pickProfile(raw: unknown): Record<string, string> {
	if (!raw || typeof raw !== 'object') return {};
	const out: Record<string, string> = {};
	for (const key of PROFILE_FIELDS) {
		const value = (raw as Record<string, unknown>)[key];
		if (typeof value === 'string' && value.trim()) out[key] = value.slice(0, 200);
	}
	return out;
}

export async function getConversationDetail(db: Queryable, scope: WorkspaceScope, id: string): Promise<ConversationDetail> {
	scope.require('read');
	if (!isUuid(id)) throw new AccessDenied('not_found');
	const conversation = await getConversation(db, scope, id);
	const [extra, identities, others] = await Promise.all([
		db.query(
			`select c.last_customer_message_at, ct.created_at as contact_created_at, pc.status as connection_status
			   from conversations c join contacts ct on ct.id = c.contact_id join platform_connections pc on pc.id = c.connection_id
			  where c.id = $1 and c.workspace_id = $2`,
			[id, scope.workspaceId]
		),
		db.query(
			`select ci.id, ci.platform, ci.external_id, ci.profile, ci.created_at, pc.name as connection_name
			   from contact_identities ci join platform_connections pc on pc.id = ci.connection_id
			  where ci.contact_id = $1 and ci.workspace_id = $2
			  order by ci.created_at`,
			[conversation.contact.id, scope.workspaceId]
		),
		db.query(
			`select id, platform, status, last_message_at, last_message_preview from conversations
			  where contact_id = $1 and workspace_id = $2 and id <> $3
			  order by last_message_at desc, id desc limit 10`,
			[conversation.contact.id, scope.workspaceId, id]
		)
	]);
	const row = extra.rows[0];
	if (!row) throw new AccessDenied('not_found');
	return {
		conversation,
		contact: { ...conversation.contact, createdAt: (row.contact_created_at as Date).toISOString() },
		identities: identities.rows.map((r) => ({
			id: r.id,
			platform: r.platform,
			connectionName: r.connection_name,
			externalId: r.external_id,
			profile: pickProfile(r.profile),
			createdAt: (r.created_at as Date).toISOString()
		})),
		otherConversations: others.rows.map((r) => ({
			id: r.id,
			platform: r.platform,
			status: r.status,
			lastMessageAt: (r.last_message_at as Date).toISOString(),
			lastMessagePreview: r.last_message_preview
		})),
		lastCustomerMessageAt: row.last_customer_message_at ? (row.last_customer_message_at as Date).toISOString() : null,
		connectionActive: row.connection_status === 'active'
	};
}

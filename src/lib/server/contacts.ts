import { z } from 'zod';
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

/** A customer as agents see and edit them: the platform's name stays visible beside the name agents gave. */
export interface ContactView {
	id: string;
	/** What the inbox shows: the agents' name for the customer when set, else the platform's. */
	name: string;
	/** The name the platform gives (its profile, or ChatMai's placeholder until the profile is fetched). */
	platformName: string;
	customName: string | null;
	phone: string | null;
	address: string | null;
	note: string | null;
	avatarUrl: string | null;
	createdAt: string;
}

/** What agents may change about a customer; an empty string clears a field. */
export const contactInput = z.object({
	customName: z.string().trim().max(120).optional(),
	phone: z.string().trim().max(40).optional(),
	address: z.string().trim().max(500).optional(),
	note: z.string().trim().max(2000).optional()
});
export type ContactInput = z.infer<typeof contactInput>;

const CONTACT_COLUMNS = `ct.id, ct.display_name, ct.custom_name, ct.phone, ct.address, ct.note, ct.avatar_url, ct.created_at`;

function toContact(r: Record<string, any>): ContactView {
	return {
		id: r.id,
		name: r.custom_name ?? r.display_name,
		platformName: r.display_name,
		customName: r.custom_name,
		phone: r.phone,
		address: r.address,
		note: r.note,
		avatarUrl: r.avatar_url,
		createdAt: (r.created_at as Date).toISOString()
	};
}

/** Saves what an agent wrote about a customer; fields left out are kept, empty ones cleared. */
export async function updateContact(db: Queryable, scope: WorkspaceScope, id: string, raw: ContactInput): Promise<ContactView> {
	scope.require('converse');
	if (!isUuid(id)) throw new AccessDenied('not_found');
	const input = contactInput.parse(raw);
	const value = (v: string | undefined) => (v === undefined ? undefined : v === '' ? null : v);
	const fields = { custom_name: value(input.customName), phone: value(input.phone), address: value(input.address), note: value(input.note) };
	const sets: string[] = [];
	const params: unknown[] = [id, scope.workspaceId];
	for (const [column, v] of Object.entries(fields)) {
		if (v === undefined) continue;
		params.push(v);
		sets.push(`${column} = $${params.length}`);
	}
	const { rows } = await db.query(
		`update contacts ct set ${[...sets, 'updated_at = now()'].join(', ')} where ct.id = $1 and ct.workspace_id = $2 returning ${CONTACT_COLUMNS}`,
		params
	);
	if (!rows[0]) throw new AccessDenied('not_found');
	return toContact(rows[0]);
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
	contact: ContactView;
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
			`select c.last_customer_message_at, pc.status as connection_status, ${CONTACT_COLUMNS}
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
		contact: toContact(row),
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

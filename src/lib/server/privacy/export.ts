import type pg from 'pg';
import * as Y from 'yjs';
import { draftText, parseConversationDocName } from '../../conversation-doc.ts';
import type { Queryable } from '../db.ts';
import { audit } from '../audit.ts';
import type { Principal } from '../auth/principal.ts';
import { scopeFor, type WorkspaceScope } from '../scope.ts';
import { errorMessage, logger } from '../log.ts';

/**
 * Data export (privacy policy §7: "Access your personal data and conversation history", "Export
 * your data"). A workspace export is one JSON document, streamed section by section from one
 * read-only snapshot, so it never has to fit in memory. Every section names its columns: a column
 * added later (a secret, say) stays out until someone adds it here on purpose. Never exported:
 * password hashes, session and token hashes, platform credentials, webhook verify tokens, LINE
 * reply tokens, raw webhook payloads.
 */

const log = logger('privacy');

export const EXPORT_FORMAT = 'chatmai.workspace-export';
export const EXPORT_VERSION = 1;
const PAGE = 1000;

interface Section {
	/** Name of the array in the document. */
	name: string;
	/** The keyset column, unique and ordered (the primary key). */
	key: string;
	/** `select` list. */
	columns: string;
	/** `from … where` with `$1` = workspace id. */
	from: string;
	/** The keyset column's SQL type, for the cursor parameter. */
	keyType: 'uuid' | 'bigint' | 'text';
}

const SECTIONS: Section[] = [
	{
		name: 'members',
		key: 'u.id',
		columns: `u.id as "userId", u.name, u.email, m.role, m.created_at as "joinedAt"`,
		from: `memberships m join users u on u.id = m.user_id where m.workspace_id = $1`,
		keyType: 'uuid'
	},
	{
		name: 'connections',
		key: 'c.id',
		columns: `c.id, c.platform, c.name, c.external_id as "externalId", c.status, c.settings - 'apiBaseUrl' as settings,
			c.created_at as "createdAt", c.disconnected_at as "disconnectedAt"`,
		from: `platform_connections c where c.workspace_id = $1`,
		keyType: 'uuid'
	},
	{
		name: 'contacts',
		key: 'ct.id',
		columns: `ct.id, ct.display_name as "displayName", ct.custom_name as "customName", ct.phone, ct.address, ct.note, ct.avatar_url as "avatarUrl", ct.created_at as "createdAt", ct.updated_at as "updatedAt",
			coalesce((select json_agg(json_build_object('id', i.id, 'connectionId', i.connection_id, 'platform', i.platform,
				'externalId', i.external_id, 'profile', i.profile, 'createdAt', i.created_at) order by i.created_at)
				from contact_identities i where i.contact_id = ct.id), '[]') as identities`,
		from: `contacts ct where ct.workspace_id = $1`,
		keyType: 'uuid'
	},
	{
		name: 'conversations',
		key: 'c.id',
		columns: `c.id, c.connection_id as "connectionId", c.contact_id as "contactId", c.contact_identity_id as "contactIdentityId",
			c.platform, c.external_thread_id as "externalThreadId", c.status, c.snoozed_until as "snoozedUntil", c.assignee_id as "assigneeId",
			c.labels, c.last_message_at as "lastMessageAt", c.first_response_at as "firstResponseAt", c.created_at as "createdAt", c.updated_at as "updatedAt"`,
		from: `conversations c where c.workspace_id = $1`,
		keyType: 'uuid'
	},
	{
		name: 'messages',
		key: 'm.id',
		columns: `m.id, m.conversation_id as "conversationId", m.connection_id as "connectionId", m.platform_message_id as "platformMessageId",
			m.direction, m.sender_type as "senderType", m.author_id as "authorId", m.body, m.attachments, m.delivery_state as "deliveryState",
			m.delivery_error as "deliveryError", m.sent_at as "sentAt", m.created_at as "createdAt"`,
		from: `messages m where m.workspace_id = $1`,
		keyType: 'uuid'
	},
	{
		name: 'notes',
		key: 'n.id',
		columns: `n.id, n.conversation_id as "conversationId", n.author_id as "authorId", n.body, n.mentions, n.created_at as "createdAt"`,
		from: `notes n where n.workspace_id = $1`,
		keyType: 'uuid'
	},
	{
		name: 'assignments',
		key: 'a.id',
		columns: `a.id, a.conversation_id as "conversationId", a.assignee_id as "assigneeId", a.assigned_by as "assignedBy", a.created_at as "createdAt"`,
		from: `assignments a where a.workspace_id = $1`,
		keyType: 'bigint'
	},
	{
		name: 'conversationEvents',
		key: 'e.id',
		columns: `e.id, e.conversation_id as "conversationId", e.actor_id as "actorId", e.kind, e.data, e.created_at as "createdAt"`,
		from: `conversation_events e where e.workspace_id = $1`,
		keyType: 'bigint'
	},
	{
		name: 'orders',
		key: 'o.id',
		columns: `o.id, o.connection_id as "connectionId", o.contact_identity_id as "contactIdentityId", o.external_order_id as "externalOrderId",
			o.status, o.currency, o.total, o.items, o.tracking, o.placed_at as "placedAt", o.fetched_at as "fetchedAt"`,
		from: `orders o where o.workspace_id = $1`,
		keyType: 'uuid'
	},
	{
		name: 'cannedResponses',
		key: 'r.id',
		columns: `r.id, r.shortcut, r.body, r.created_by as "createdBy", r.created_at as "createdAt"`,
		from: `canned_responses r where r.workspace_id = $1`,
		keyType: 'uuid'
	},
	{
		name: 'auditLog',
		key: 'a.id',
		columns: `a.id, a.actor_id as "actorId", a.action, a.target_type as "targetType", a.target_id as "targetId", a.ip, a.meta, a.created_at as "createdAt"`,
		from: `audit_log a where a.workspace_id = $1`,
		keyType: 'bigint'
	}
];

export interface WorkspaceExport {
	filename: string;
	/** The JSON document in chunks. Read it to the end or call `return()` so the snapshot is released. */
	chunks: AsyncGenerator<string, void, undefined>;
}

/**
 * Starts a workspace export for its owner: checks the role and writes the audit entry before
 * anything is read. The document is produced as `chunks` is read.
 */
export async function openWorkspaceExport(pool: pg.Pool, scope: WorkspaceScope, ip?: string | null): Promise<WorkspaceExport> {
	scope.require('ownWorkspace');
	await audit(pool, { workspaceId: scope.workspaceId, actorId: scope.userId, action: 'workspace.exported', targetType: 'workspace', targetId: scope.workspaceId, ip });
	const date = new Date().toISOString().slice(0, 10);
	return { filename: `chatmai-workspace-${scope.workspaceId}-${date}.json`, chunks: exportChunks(pool, scope) };
}

async function* exportChunks(pool: pg.Pool, scope: WorkspaceScope): AsyncGenerator<string, void, undefined> {
	const client = await pool.connect();
	let open = false;
	try {
		await client.query('begin isolation level repeatable read read only');
		open = true;
		const { rows } = await client.query(
			`select id, name, time_zone as "timeZone", retention_days as "retentionDays", created_at as "createdAt" from workspaces where id = $1`,
			[scope.workspaceId]
		);
		yield `{"format":${JSON.stringify(EXPORT_FORMAT)},"version":${EXPORT_VERSION},"exportedAt":${JSON.stringify(new Date())},"exportedBy":${JSON.stringify(scope.userId)},"workspace":${JSON.stringify(rows[0] ?? null)}`;
		for (const section of SECTIONS) {
			yield `,${JSON.stringify(section.name)}:[`;
			let cursor: unknown = null;
			let first = true;
			for (;;) {
				const page = await client.query(
					`select ${section.key} as k, ${section.columns} from ${section.from}
					    and ($2::${section.keyType} is null or ${section.key} > $2::${section.keyType})
					  order by ${section.key} limit ${PAGE}`,
					[scope.workspaceId, cursor]
				);
				if (page.rows.length) {
					yield (first ? '' : ',') + page.rows.map(({ k: _k, ...row }) => JSON.stringify(row)).join(',');
					first = false;
					cursor = page.rows.at(-1).k;
				}
				if (page.rows.length < PAGE) break;
			}
			yield ']';
		}
		yield* draftsSection(client, scope.workspaceId);
		yield '}\n';
		await client.query('commit');
		open = false;
		log.info('workspace_export_done', { workspace_id: scope.workspaceId });
	} catch (error) {
		log.error('workspace_export_failed', { workspace_id: scope.workspaceId, error: errorMessage(error) });
		throw error;
	} finally {
		if (open) await client.query('rollback').catch(() => {});
		client.release();
	}
}

/**
 * The shared reply drafts, which live only in the conversations' stored Yjs documents: one entry
 * per conversation whose draft is not empty, as plain text (what Send would send).
 */
async function* draftsSection(client: pg.PoolClient, workspaceId: string): AsyncGenerator<string, void, undefined> {
	yield ',"drafts":[';
	let cursor = '';
	let first = true;
	for (;;) {
		const page = await client.query<{ name: string; state: Buffer; updated_at: Date }>(
			`select name, state, updated_at from collab_documents where workspace_id = $1 and name > $2 order by name limit 100`,
			[workspaceId, cursor]
		);
		for (const row of page.rows) {
			const conversationId = parseConversationDocName(row.name);
			if (!conversationId) continue;
			const doc = new Y.Doc();
			let text = '';
			try {
				Y.applyUpdate(doc, row.state);
				text = draftText(doc);
			} catch (error) {
				log.warn('export_draft_unreadable', { workspace_id: workspaceId, document: row.name, error: errorMessage(error) });
			} finally {
				doc.destroy();
			}
			if (!text.trim()) continue;
			yield (first ? '' : ',') + JSON.stringify({ conversationId, text, updatedAt: row.updated_at });
			first = false;
		}
		if (page.rows.length < 100) break;
		cursor = page.rows.at(-1)!.name;
	}
	yield ']';
}

/** Reads a whole workspace export into a string (tests, the admin CLI, small workspaces). */
export async function collect(chunks: AsyncIterable<string>): Promise<string> {
	let out = '';
	for await (const chunk of chunks) out += chunk;
	return out;
}

/** A web stream of the export for a Response body; cancelling it releases the snapshot. */
export function toReadableStream(chunks: AsyncGenerator<string, void, undefined>): ReadableStream<Uint8Array> {
	const encoder = new TextEncoder();
	return new ReadableStream<Uint8Array>({
		async pull(controller) {
			const next = await chunks.next();
			if (next.done) controller.close();
			else controller.enqueue(encoder.encode(next.value));
		},
		async cancel() {
			await chunks.return(undefined);
		}
	});
}

// ---- Personal export -------------------------------------------------------------------------

export interface PersonalExport {
	format: 'chatmai.personal-export';
	version: 1;
	exportedAt: string;
	account: { id: string; email: string; name: string; locale: string; createdAt: string; updatedAt: string };
	memberships: { workspaceId: string; workspaceName: string; role: string; joinedAt: string }[];
	/** Internal notes this user wrote, in the workspaces they are still a member of. */
	notes: { id: string; workspaceId: string; conversationId: string; body: string; createdAt: string }[];
	/** Where they are signed in; no session ids or secrets. */
	sessions: { createdAt: string; expiresAt: string; ip: string | null; userAgent: string | null; current: boolean }[];
	apiTokens: { name: string; prefix: string; workspaceId: string; createdAt: string; lastUsedAt: string | null; expiresAt: string | null; revokedAt: string | null }[];
	/** Their own actions as the audit log recorded them. */
	activity: { action: string; workspaceId: string | null; ip: string | null; createdAt: string }[];
}

/** Everything ChatMai keeps about the asking user themself; the export is audit-logged. */
export async function personalExport(db: Queryable, principal: Principal, ip?: string | null): Promise<PersonalExport> {
	const userId = principal.userId;
	await audit(db, { actorId: userId, action: 'account.exported', targetType: 'user', targetId: userId, ip });
	const json = <T>(rows: unknown[]) => JSON.parse(JSON.stringify(rows)) as T;
	const account = await db.query(`select id, email, name, locale, created_at as "createdAt", updated_at as "updatedAt" from users where id = $1`, [userId]);
	const memberships = await db.query(
		`select w.id as "workspaceId", w.name as "workspaceName", m.role, m.created_at as "joinedAt"
		   from memberships m join workspaces w on w.id = m.workspace_id where m.user_id = $1 order by m.created_at`,
		[userId]
	);
	const notes: PersonalExport['notes'] = [];
	for (const m of memberships.rows) {
		// An API token reaches only its own workspace: the others' notes are left out.
		const scope = await scopeFor(db, principal, m.workspaceId).catch(() => null);
		if (!scope) continue;
		const { rows } = await db.query(
			`select id, workspace_id as "workspaceId", conversation_id as "conversationId", body, created_at as "createdAt"
			   from notes where workspace_id = $1 and author_id = $2 order by created_at`,
			[scope.workspaceId, userId]
		);
		notes.push(...json<PersonalExport['notes']>(rows));
	}
	const sessions = await db.query(
		`select created_at as "createdAt", expires_at as "expiresAt", ip, user_agent as "userAgent", id = $2 as current
		   from sessions where user_id = $1 and expires_at > now() order by created_at desc`,
		[userId, principal.kind === 'session' ? principal.credentialId : null]
	);
	const tokens = await db.query(
		`select name, prefix, workspace_id as "workspaceId", created_at as "createdAt", last_used_at as "lastUsedAt",
		        expires_at as "expiresAt", revoked_at as "revokedAt"
		   from api_tokens where user_id = $1 order by created_at`,
		[userId]
	);
	const activity = await db.query(
		`select action, workspace_id as "workspaceId", ip, created_at as "createdAt" from audit_log where actor_id = $1 order by id`,
		[userId]
	);
	return {
		format: 'chatmai.personal-export',
		version: 1,
		exportedAt: new Date().toISOString(),
		account: json<PersonalExport['account'][]>(account.rows)[0],
		memberships: json(memberships.rows),
		notes,
		sessions: json(sessions.rows),
		apiTokens: json(tokens.rows),
		activity: json(activity.rows)
	};
}

import { z } from 'zod';
import type pg from 'pg';
import { transaction, isUniqueViolation, type Queryable } from './db.ts';
import { randomToken, type KeyRing, type SealedSecret } from './crypto.ts';
import type { WorkspaceScope } from './scope.ts';
import { isUuid } from './scope.ts';
import type { Config, Platform } from './env.ts';
import type { Platforms } from './platforms.ts';
import { PLATFORMS } from '../platforms.ts';
import { audit } from './audit.ts';
import { errorMessage, logger } from './log.ts';
import { queueMirrorSql } from './messages.ts';
import { webhookUrlToPaste } from './webhook-urls.ts';
import { connectionApiUrlsAllowed } from './outbound.ts';
import { DomainError } from './errors.ts';

/**
 * Platform connections and their credentials. Credentials are validated with the connector's own
 * schema, sealed with AES-256-GCM (the connection id as associated data, so a blob cannot be moved
 * to another connection) into `platform_credentials`, and never logged or returned: the API shows
 * only whether a connection has them.
 *
 * The workspace functions take a scope. `openConnection` is the system side (webhook route and
 * workers), which acts for a connection, not for a user.
 */

const log = logger('connections');

export const PLATFORM_NAMES = PLATFORMS;

export const connectionInput = z.object({
	platform: z.enum(PLATFORM_NAMES),
	name: z.string().trim().min(1).max(120),
	/** Page id, Instagram account id, LINE bot user id, shop or seller id. */
	externalId: z.string().trim().min(1).max(200),
	credentials: z.record(z.string(), z.unknown()),
	/** Public per-connection settings the connector reads (e.g. graphApiVersion). */
	settings: z
		.record(z.string(), z.union([z.string().max(500), z.number(), z.boolean(), z.null()]))
		// `apiBaseUrl` is stored beside the settings but is never one: it could not bypass the rule below.
		.refine((settings) => !Object.hasOwn(settings, 'apiBaseUrl'), 'apiBaseUrl is not a setting')
		.optional(),
	/**
	 * The platform API host for this connection, for the test suite and the simulator. Refused
	 * outside test mode, where CHATMAI_<PLATFORM>_API_URL is the operator's override.
	 */
	apiBaseUrl: z
		.string()
		.url()
		.refine((v) => /^https?:\/\//.test(v), 'must be http(s)')
		.optional()
});
export type ConnectionInput = z.infer<typeof connectionInput>;

/** What the API shows of a connection: never its credentials. */
export interface ConnectionView {
	id: string;
	platform: Platform;
	name: string;
	externalId: string;
	status: 'active' | 'disconnected';
	/** Paste into the platform's console as the callback / webhook URL. */
	webhookUrl: string;
	/** Paste into Meta's console as the verify token (our own random value, not a platform secret). */
	verifyToken: string | null;
	settings: Record<string, unknown>;
	apiBaseUrl: string | null;
	hasCredentials: boolean;
	createdAt: string;
	disconnectedAt: string | null;
}

const CONNECTION_REFUSAL_STATUS = { not_found: 404, already_connected: 409, custom_api_url_refused: 400 } as const;

export class ConnectionError extends DomainError<keyof typeof CONNECTION_REFUSAL_STATUS> {
	readonly reason: 'not_found' | 'already_connected' | 'custom_api_url_refused';
	constructor(reason: ConnectionError['reason'], message: string) {
		super(CONNECTION_REFUSAL_STATUS[reason], reason, message);
		this.name = 'ConnectionError';
		this.reason = reason;
	}
}

interface ConnectionRow {
	id: string;
	workspace_id: string;
	platform: Platform;
	name: string;
	external_id: string;
	verify_token: string | null;
	status: 'active' | 'disconnected';
	settings: Record<string, unknown>;
	created_at: Date;
	disconnected_at: Date | null;
	has_credentials?: boolean;
}

/** The public callback URL of a connection, as pasted into the platform's console (see webhook-urls.ts). */
export function webhookUrl(origin: string, platform: Platform, connectionId: string): string {
	return webhookUrlToPaste(origin, platform, connectionId);
}

function toView(row: ConnectionRow, origin: string): ConnectionView {
	const { apiBaseUrl, ...settings } = row.settings ?? {};
	return {
		id: row.id,
		platform: row.platform,
		name: row.name,
		externalId: row.external_id,
		status: row.status,
		webhookUrl: webhookUrl(origin, row.platform, row.id),
		verifyToken: row.status === 'active' ? row.verify_token : null,
		settings,
		apiBaseUrl: typeof apiBaseUrl === 'string' ? apiBaseUrl : null,
		hasCredentials: Boolean(row.has_credentials),
		createdAt: row.created_at.toISOString(),
		disconnectedAt: row.disconnected_at?.toISOString() ?? null
	};
}

export function sealCredentials(keyRing: KeyRing, connectionId: string, credentials: unknown): SealedSecret {
	return keyRing.seal(JSON.stringify(credentials), connectionId);
}

export function openCredentials(keyRing: KeyRing, connectionId: string, sealed: SealedSecret): unknown {
	return JSON.parse(keyRing.open(sealed, connectionId));
}

export interface ConnectionContext {
	db: pg.Pool;
	keyRing: KeyRing;
	platforms: Platforms;
	config: Pick<Config, 'env'>;
	/** The public origin webhook URLs are built on. */
	origin: string;
	ip?: string | null;
}

/** Connects a page / OA / shop: validates and seals its credentials, audit-logs, returns the view. */
export async function createConnection(ctx: ConnectionContext, scope: WorkspaceScope, raw: ConnectionInput): Promise<ConnectionView> {
	scope.require('manageWorkspace');
	const input = connectionInput.parse(raw);
	const description = ctx.platforms.describe(input.platform);
	const credentials = description.credentialSchema.safeParse(input.credentials);
	if (!credentials.success) {
		// Re-thrown with paths under `credentials`, and without the values.
		throw new z.ZodError(credentials.error.issues.map((issue) => ({ ...issue, path: ['credentials', ...issue.path] })));
	}
	if (input.apiBaseUrl && !connectionApiUrlsAllowed(ctx.config.env)) {
		throw new ConnectionError('custom_api_url_refused', 'A per-connection API URL is for the test suite only; set CHATMAI_<PLATFORM>_API_URL instead');
	}
	const settings = { ...(input.settings ?? {}), ...(input.apiBaseUrl ? { apiBaseUrl: input.apiBaseUrl.replace(/\/$/, '') } : {}) };
	try {
		return await transaction(ctx.db, async (client) => {
			const { rows } = await client.query<ConnectionRow>(
				`insert into platform_connections (workspace_id, platform, name, external_id, verify_token, settings, created_by)
				 values ($1, $2, $3, $4, $5, $6, $7) returning *, true as has_credentials`,
				[scope.workspaceId, input.platform, input.name, input.externalId, randomToken(20), settings, scope.userId]
			);
			const row = rows[0];
			const sealed = sealCredentials(ctx.keyRing, row.id, credentials.data);
			await client.query(
				`insert into platform_credentials (connection_id, workspace_id, key_id, iv, ciphertext, auth_tag) values ($1, $2, $3, $4, $5, $6)`,
				[row.id, scope.workspaceId, sealed.keyId, sealed.iv, sealed.ciphertext, sealed.authTag]
			);
			await audit(client, {
				workspaceId: scope.workspaceId,
				actorId: scope.userId,
				action: 'connection.created',
				targetType: 'platform_connection',
				targetId: row.id,
				ip: ctx.ip,
				meta: { platform: input.platform }
			});
			log.info('connection_created', { workspace_id: scope.workspaceId, connection_id: row.id, platform: input.platform });
			return toView(row, ctx.origin);
		});
	} catch (error) {
		if (isUniqueViolation(error, 'platform_connections_active_key')) {
			throw new ConnectionError('already_connected', `This ${input.platform} account is already connected in ChatMai`);
		}
		throw error;
	}
}

const SELECT_VIEW = `select c.*, exists (select 1 from platform_credentials p where p.connection_id = c.id) as has_credentials
	from platform_connections c`;

export async function listConnections(db: Queryable, scope: WorkspaceScope, origin: string): Promise<ConnectionView[]> {
	scope.require('read');
	const { rows } = await db.query<ConnectionRow>(
		`${SELECT_VIEW} where c.workspace_id = $1 order by c.status, c.created_at desc`,
		[scope.workspaceId]
	);
	// The verify token is for whoever sets up the platform; other roles see the connection only.
	return rows.map((row) => redact(toView(row, origin), scope));
}

export async function getConnection(db: Queryable, scope: WorkspaceScope, id: string, origin: string): Promise<ConnectionView> {
	scope.require('read');
	if (!isUuid(id)) throw new ConnectionError('not_found', 'Not found');
	const { rows } = await db.query<ConnectionRow>(`${SELECT_VIEW} where c.id = $1 and c.workspace_id = $2`, [id, scope.workspaceId]);
	if (!rows[0]) throw new ConnectionError('not_found', 'Not found');
	return redact(toView(rows[0], origin), scope);
}

function redact(view: ConnectionView, scope: WorkspaceScope): ConnectionView {
	return scope.can('manageWorkspace') ? view : { ...view, verifyToken: null, apiBaseUrl: null };
}

/**
 * Disconnects: in one transaction the credentials are deleted, the connection is marked
 * disconnected (its webhooks get 410 from now on), its queued replies fail, and the audit log
 * records it. Then, with the credentials still in memory, the platform is asked to revoke the
 * token (best effort, logged).
 */
export async function disconnectConnection(ctx: ConnectionContext, scope: WorkspaceScope, id: string): Promise<ConnectionView> {
	scope.require('manageWorkspace');
	if (!isUuid(id)) throw new ConnectionError('not_found', 'Not found');
	const result = await transaction(ctx.db, async (client) => {
		const { rows } = await client.query<ConnectionRow>(
			`select * from platform_connections where id = $1 and workspace_id = $2 for update`,
			[id, scope.workspaceId]
		);
		const row = rows[0];
		if (!row) throw new ConnectionError('not_found', 'Not found');
		const sealed = await client.query<{ key_id: string; iv: Buffer; ciphertext: Buffer; auth_tag: Buffer }>(
			'delete from platform_credentials where connection_id = $1 returning key_id, iv, ciphertext, auth_tag',
			[id]
		);
		if (row.status === 'disconnected') return { row, credentials: undefined };
		const { rows: updated } = await client.query<ConnectionRow>(
			`update platform_connections set status = 'disconnected', disconnected_at = now() where id = $1 returning *`,
			[id]
		);
		await client.query(
			`with failed as (
			   update outbox set state = 'failed', last_error = 'The connection was disconnected', updated_at = now()
			    where connection_id = $1 and state in ('queued', 'sending') returning message_id
			 ), updated as (
			   update messages set delivery_state = 'failed', delivery_error = '{"code": "disconnected"}'
			    where id in (select message_id from failed) returning id, workspace_id, delivery_state
			 )
			 ${queueMirrorSql('updated')}`,
			[id]
		);
		await audit(client, {
			workspaceId: scope.workspaceId,
			actorId: scope.userId,
			action: 'connection.disconnected',
			targetType: 'platform_connection',
			targetId: id,
			ip: ctx.ip,
			meta: { platform: row.platform }
		});
		let credentials: unknown;
		const s = sealed.rows[0];
		if (s) {
			try {
				credentials = openCredentials(ctx.keyRing, id, { keyId: s.key_id, iv: s.iv, ciphertext: s.ciphertext, authTag: s.auth_tag });
			} catch (error) {
				log.warn('credentials_unreadable', { connection_id: id, error: errorMessage(error) });
			}
		}
		return { row: updated[0], credentials };
	});
	ctx.platforms.forget(id);
	log.info('connection_disconnected', { workspace_id: scope.workspaceId, connection_id: id, platform: result.row.platform });
	if (result.credentials !== undefined) {
		const { apiBaseUrl, ...settings } = result.row.settings ?? {};
		await ctx.platforms.revoke({
			id,
			workspaceId: scope.workspaceId,
			platform: result.row.platform,
			externalId: result.row.external_id,
			verifyToken: result.row.verify_token,
			settings,
			apiBaseUrl: typeof apiBaseUrl === 'string' ? apiBaseUrl : undefined,
			credentials: result.credentials
		});
	}
	return toView({ ...result.row, has_credentials: false }, ctx.origin);
}

/** A connection as the webhook route and the workers use it. */
export interface OpenConnection {
	id: string;
	workspaceId: string;
	platform: Platform;
	name: string;
	externalId: string;
	status: 'active' | 'disconnected';
	verifyToken: string | null;
	/** Public settings for the connector, without `apiBaseUrl`. */
	settings: Record<string, unknown>;
	/** The per-connection API host, if one was set (tests, sandboxes). */
	apiBaseUrl: string | undefined;
	/** Decrypted credentials; undefined once disconnected. Never log them. */
	credentials: unknown;
}

/**
 * System side: a connection with its decrypted credentials, or null when there is none. Not
 * scoped to a user: the caller acts for the connection (a signed webhook, a queued job).
 */
type OpenRow = ConnectionRow & { key_id: string | null; iv: Buffer | null; ciphertext: Buffer | null; auth_tag: Buffer | null };

const SELECT_OPEN = `select c.*, p.key_id, p.iv, p.ciphertext, p.auth_tag
	   from platform_connections c left join platform_credentials p on p.connection_id = c.id`;

export async function openConnection(db: Queryable, keyRing: KeyRing, id: string): Promise<OpenConnection | null> {
	if (!isUuid(id)) return null;
	const { rows } = await db.query<OpenRow>(`${SELECT_OPEN} where c.id = $1`, [id]);
	return rows[0] ? toOpen(keyRing, rows[0]) : null;
}

/**
 * System side: the active connection of a platform account (Page id, bot user id, shop or seller id),
 * or null. At most one exists (unique among active connections, migration 0013).
 */
export async function openConnectionByAccount(db: Queryable, keyRing: KeyRing, platform: Platform, externalId: string): Promise<OpenConnection | null> {
	const { rows } = await db.query<OpenRow>(`${SELECT_OPEN} where c.platform = $1 and c.external_id = $2 and c.status = 'active'`, [platform, externalId]);
	return rows[0] ? toOpen(keyRing, rows[0]) : null;
}

/** System side: the active connections of a platform, at most `limit` (to verify a body that names no account). */
export async function openActiveConnections(db: Queryable, keyRing: KeyRing, platform: Platform, limit: number): Promise<OpenConnection[]> {
	const { rows } = await db.query<OpenRow>(`${SELECT_OPEN} where c.platform = $1 and c.status = 'active' order by c.created_at desc limit $2`, [platform, limit]);
	return rows.map((row) => toOpen(keyRing, row));
}

function toOpen(keyRing: KeyRing, row: OpenRow): OpenConnection {
	const { apiBaseUrl, ...settings } = row.settings ?? {};
	const credentials =
		row.status === 'active' && row.key_id && row.iv && row.ciphertext && row.auth_tag
			? openCredentials(keyRing, row.id, { keyId: row.key_id, iv: row.iv, ciphertext: row.ciphertext, authTag: row.auth_tag })
			: undefined;
	return {
		id: row.id,
		workspaceId: row.workspace_id,
		platform: row.platform,
		name: row.name,
		externalId: row.external_id,
		status: credentials === undefined ? 'disconnected' : row.status,
		verifyToken: row.verify_token,
		settings,
		apiBaseUrl: typeof apiBaseUrl === 'string' ? apiBaseUrl : undefined,
		credentials
	};
}

import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type pg from 'pg';
import { transaction, isUniqueViolation, type Queryable } from './db.ts';
import { randomToken, type KeyRing, type SealedSecret } from './crypto.ts';
import type { WorkspaceScope } from './scope.ts';
import { isUuid } from './scope.ts';
import type { Config, Platform } from './env.ts';
import type { GrantedAccountView, Platforms, TokenLifetimesView, WebhookTestView } from './platforms.ts';
import { PLATFORM_FACTS, PLATFORMS } from '../platforms.ts';
import { audit } from './audit.ts';
import { errorMessage, logger } from './log.ts';
import { queueMirrorSql } from './messages.ts';
import { webhookUrlToPaste } from './webhook-urls.ts';
import { connectionApiUrlsAllowed } from './outbound.ts';
import { DomainError } from './errors.ts';
import { notificationsCreated } from './workspace-feed.ts';

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
	/** Page id, Instagram account id, LINE bot user id, shop or seller id. @default the id the platform's identity check names */
	externalId: z.string().trim().min(1).max(200).optional(),
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
	/** `needs_reauthorization` once the platform refused the refresh token: the owner must connect it again. */
	authorizationStatus: 'ok' | 'needs_reauthorization';
	/** When the last webhook event of this connection was processed. */
	lastEventAt: string | null;
	/** The last failure talking to the platform: our or the platform's code, and the platform's words. */
	lastError: { code: string; message: string; at: string } | null;
	accessTokenExpiresAt: string | null;
	refreshTokenExpiresAt: string | null;
}

const CONNECTION_REFUSAL_STATUS = {
	not_found: 404,
	already_connected: 409,
	custom_api_url_refused: 400,
	// The platform did not accept the credentials (or they belong to another account): `details.code` says which.
	refused: 422,
	not_authorizable: 400,
	// The platform has no way to send a test event (only LINE has one).
	test_unsupported: 400
} as const;

export class ConnectionError extends DomainError<keyof typeof CONNECTION_REFUSAL_STATUS> {
	readonly reason: keyof typeof CONNECTION_REFUSAL_STATUS;
	/** For `refused`: the platform's (or our) error code, sent as `details.code`; the message is the platform's own reason. */
	readonly platformCode: string | undefined;
	constructor(reason: ConnectionError['reason'], message: string, platformCode?: string) {
		super(CONNECTION_REFUSAL_STATUS[reason], reason, message, platformCode ? { details: { code: platformCode } } : {});
		this.name = 'ConnectionError';
		this.reason = reason;
		this.platformCode = platformCode;
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
	authorization_status?: 'ok' | 'needs_reauthorization';
	last_event_at?: Date | null;
	last_error_code?: string | null;
	last_error?: string | null;
	last_error_at?: Date | null;
	access_token_expires_at?: Date | null;
	refresh_token_expires_at?: Date | null;
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
		disconnectedAt: row.disconnected_at?.toISOString() ?? null,
		authorizationStatus: row.authorization_status ?? 'ok',
		lastEventAt: row.last_event_at?.toISOString() ?? null,
		lastError:
			row.last_error_code && row.last_error_at ? { code: row.last_error_code, message: row.last_error ?? '', at: row.last_error_at.toISOString() } : null,
		accessTokenExpiresAt: row.access_token_expires_at?.toISOString() ?? null,
		refreshTokenExpiresAt: row.refresh_token_expires_at?.toISOString() ?? null
	};
}

/**
 * When to renew an access token that expires at `expiresAt`: at three quarters of its remaining life,
 * less up to 5 % of it at random (jitter), so shops connected together do not refresh together.
 */
export function nextRefreshAt(expiresAt: Date | null, now: Date, random: () => number = Math.random): Date | null {
	if (!expiresAt) return null;
	const life = expiresAt.getTime() - now.getTime();
	if (life <= 0) return now;
	return new Date(now.getTime() + life * 0.75 - random() * life * 0.05);
}

/**
 * Marks a connection as needing the owner to authorize it again (the platform refused its refresh
 * token), and tells the workspace's owners and admins, once. Returns false when it was marked already.
 */
export async function markNeedsReauthorization(db: pg.Pool, connectionId: string, code: string, message: string): Promise<boolean> {
	const notified = await transaction(db, async (client) => {
		const { rows } = await client.query<{ workspace_id: string; name: string }>(
			`update platform_connections set authorization_status = 'needs_reauthorization', next_refresh_at = null,
			        last_error_code = $2, last_error = $3, last_error_at = now()
			  where id = $1 and status = 'active' and authorization_status = 'ok'
			 returning workspace_id, name`,
			[connectionId, code.slice(0, 80), message.slice(0, 500)]
		);
		if (!rows[0]) return null;
		const inserted = await client.query<{ user_id: string }>(
			`insert into notifications (workspace_id, user_id, kind, connection_id, excerpt)
			 select workspace_id, user_id, 'connection_reauthorize', $2, $3 from memberships where workspace_id = $1 and role in ('owner', 'admin')
			 returning user_id`,
			[rows[0].workspace_id, connectionId, rows[0].name]
		);
		return { workspaceId: rows[0].workspace_id, userIds: inserted.rows.map((r) => r.user_id) };
	});
	if (!notified) return false;
	notificationsCreated(notified.workspaceId, notified.userIds);
	return true;
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

/**
 * Connects a page / OA / shop with credentials the user pasted (LINE; the API for every platform):
 * validates them, asks the platform who they belong to (refused with the platform's reason when it
 * does not accept them, or when they belong to another account than `externalId`), seals them,
 * audit-logs, and carries the account's earlier contacts and conversations over (see `adoptHistory`).
 */
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
	const apiBaseUrl = input.apiBaseUrl?.replace(/\/$/, '');
	const settings = { ...(input.settings ?? {}), ...(apiBaseUrl ? { apiBaseUrl } : {}) };
	const identity = await checkIdentity(ctx, { platform: input.platform, externalId: input.externalId, settings: input.settings ?? {}, apiBaseUrl, credentials: credentials.data });
	const [view] = await saveConnections(ctx, scope, input.platform, [
		{ externalId: identity.externalId, name: input.name, credentials: credentials.data, settings, tokens: { accessTokenExpiresAt: null, refreshTokenExpiresAt: null } }
	], { updateExisting: false });
	return view!;
}

/** The platform's identity check: who the credentials belong to. Refusals become ConnectionError('refused'). */
async function checkIdentity(
	ctx: ConnectionContext,
	connection: { platform: Platform; externalId: string | undefined; settings: Record<string, unknown>; apiBaseUrl: string | undefined; credentials: unknown }
): Promise<{ externalId: string; name: string }> {
	let identity;
	try {
		identity = await ctx.platforms.identify({ ...connection, externalId: connection.externalId ?? '' });
	} catch (error) {
		const e = error as { name?: string; platformCode?: string; message?: string; retryable?: boolean };
		if (e?.name !== 'PlatformRefused') throw error;
		log.info('connection_refused', { platform: connection.platform, code: e.platformCode ?? null });
		throw new ConnectionError('refused', e.message ?? '', e.retryable ? 'unreachable' : (e.platformCode ?? 'refused'));
	}
	if (connection.externalId && identity.externalId !== connection.externalId) {
		throw new ConnectionError('refused', `These credentials belong to ${identity.name} (${identity.externalId}), not ${connection.externalId}`, 'account_mismatch');
	}
	return identity;
}

/**
 * Connects the accounts a seller granted on the platform's authorization page. An account already
 * connected to this workspace gets its new credentials in place (reconnecting after the platform
 * refused a refresh); the others are created. Nothing is stored unless all of them can be.
 */
export async function connectAuthorized(ctx: ConnectionContext, scope: WorkspaceScope, platform: Platform, accounts: GrantedAccountView[]): Promise<ConnectionView[]> {
	scope.require('manageWorkspace');
	const description = ctx.platforms.describe(platform);
	const valid = accounts.map((account) => ({ ...account, credentials: description.credentialSchema.parse(account.credentials) }));
	// Where the platform asks the app to subscribe each account (Meta Pages), only the picked ones are, before anything is stored.
	for (const account of valid) {
		try {
			await ctx.platforms.subscribe({ platform, externalId: account.externalId, settings: account.settings, apiBaseUrl: undefined, credentials: account.credentials });
		} catch (error) {
			const e = error as { name?: string; platformCode?: string; message?: string; retryable?: boolean };
			if (e?.name !== 'PlatformRefused') throw error;
			throw new ConnectionError('refused', e.message ?? '', e.retryable ? 'unreachable' : (e.platformCode ?? 'refused'));
		}
	}
	const views = await saveConnections(ctx, scope, platform, valid, { updateExisting: true });
	ctx.platforms.wakeTokenRefresh();
	return views;
}

/** How long granted accounts wait for the seller to pick the ones to connect. */
const PENDING_TTL_MINUTES = 15;

/**
 * Several accounts were granted on the platform's page (Facebook Pages, TikTok shops): they are kept
 * sealed, for this user and workspace only, while the seller picks the ones to connect. Returns the id.
 */
export async function holdAuthorization(ctx: ConnectionContext, scope: WorkspaceScope, platform: Platform, accounts: GrantedAccountView[]): Promise<string> {
	scope.require('manageWorkspace');
	await ctx.db.query(`delete from pending_authorizations where expires_at < now()`);
	const id = randomUUID();
	const sealed = ctx.keyRing.seal(JSON.stringify(accounts), `pending:${id}`);
	await ctx.db.query(
		`insert into pending_authorizations (id, workspace_id, user_id, platform, key_id, iv, ciphertext, auth_tag, expires_at)
		 values ($1, $2, $3, $4, $5, $6, $7, $8, now() + make_interval(mins => $9))`,
		[id, scope.workspaceId, scope.userId, platform, sealed.keyId, sealed.iv, sealed.ciphertext, sealed.authTag, PENDING_TTL_MINUTES]
	);
	return id;
}

interface PendingRow {
	platform: Platform;
	key_id: string;
	iv: Buffer;
	ciphertext: Buffer;
	auth_tag: Buffer;
}

function openPending(ctx: ConnectionContext, id: string, row: PendingRow): GrantedAccountView[] {
	const accounts = JSON.parse(ctx.keyRing.open({ keyId: row.key_id, iv: row.iv, ciphertext: row.ciphertext, authTag: row.auth_tag }, `pending:${id}`)) as GrantedAccountView[];
	return accounts.map((a) => ({
		...a,
		tokens: {
			accessTokenExpiresAt: a.tokens.accessTokenExpiresAt ? new Date(a.tokens.accessTokenExpiresAt) : null,
			refreshTokenExpiresAt: a.tokens.refreshTokenExpiresAt ? new Date(a.tokens.refreshTokenExpiresAt) : null
		}
	}));
}

/** The accounts waiting to be picked (names and ids only), or null when expired, used, or someone else's. */
export async function pendingAuthorization(
	ctx: ConnectionContext,
	scope: WorkspaceScope,
	id: string
): Promise<{ platform: Platform; accounts: { externalId: string; name: string }[] } | null> {
	scope.require('manageWorkspace');
	if (!isUuid(id)) return null;
	const { rows } = await ctx.db.query<PendingRow>(
		`select platform, key_id, iv, ciphertext, auth_tag from pending_authorizations
		  where id = $1 and workspace_id = $2 and user_id = $3 and expires_at > now()`,
		[id, scope.workspaceId, scope.userId]
	);
	if (!rows[0]) return null;
	return { platform: rows[0].platform, accounts: openPending(ctx, id, rows[0]).map(({ externalId, name }) => ({ externalId, name })) };
}

/** Connects the picked accounts of a pending authorization, once: the pending row is gone either way. */
export async function completeAuthorization(ctx: ConnectionContext, scope: WorkspaceScope, id: string, picked: readonly string[]): Promise<ConnectionView[] | null> {
	scope.require('manageWorkspace');
	if (!isUuid(id)) return null;
	const { rows } = await ctx.db.query<PendingRow>(
		`delete from pending_authorizations where id = $1 and workspace_id = $2 and user_id = $3 and expires_at > now()
		 returning platform, key_id, iv, ciphertext, auth_tag`,
		[id, scope.workspaceId, scope.userId]
	);
	if (!rows[0]) return null;
	const chosen = openPending(ctx, id, rows[0]).filter((a) => picked.includes(a.externalId));
	if (chosen.length === 0) return [];
	return connectAuthorized(ctx, scope, rows[0].platform, chosen);
}

interface AccountToSave {
	externalId: string;
	name: string;
	credentials: unknown;
	settings: Record<string, unknown>;
	tokens: TokenLifetimesView;
}

async function saveConnections(
	ctx: ConnectionContext,
	scope: WorkspaceScope,
	platform: Platform,
	accounts: AccountToSave[],
	options: { updateExisting: boolean }
): Promise<ConnectionView[]> {
	try {
		const views = await transaction(ctx.db, async (client) => {
			const out: ConnectionView[] = [];
			for (const account of accounts) {
				const next = nextRefreshAt(account.tokens.accessTokenExpiresAt, new Date());
				const existing = options.updateExisting
					? (
							await client.query<ConnectionRow>(
								`select * from platform_connections where workspace_id = $1 and platform = $2 and external_id = $3 and status = 'active' for update`,
								[scope.workspaceId, platform, account.externalId]
							)
						).rows[0]
					: undefined;
				let row: ConnectionRow;
				if (existing) {
					({
						rows: [row]
					} = await client.query<ConnectionRow>(
						`update platform_connections set settings = settings || $2::jsonb, authorization_status = 'ok', access_token_expires_at = $3,
						        refresh_token_expires_at = $4, next_refresh_at = $5, refresh_failures = 0, last_error_code = null, last_error = null, last_error_at = null
						  where id = $1 returning *, true as has_credentials`,
						[existing.id, account.settings, account.tokens.accessTokenExpiresAt, account.tokens.refreshTokenExpiresAt, next]
					));
				} else {
					({
						rows: [row]
					} = await client.query<ConnectionRow>(
						`insert into platform_connections (workspace_id, platform, name, external_id, verify_token, settings, created_by,
						                                   access_token_expires_at, refresh_token_expires_at, next_refresh_at)
						 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) returning *, true as has_credentials`,
						[
							scope.workspaceId,
							platform,
							account.name.slice(0, 120),
							account.externalId,
							randomToken(20),
							account.settings,
							scope.userId,
							account.tokens.accessTokenExpiresAt,
							account.tokens.refreshTokenExpiresAt,
							next
						]
					));
					await adoptHistory(client, scope.workspaceId, platform, account.externalId, row.id);
				}
				const sealed = sealCredentials(ctx.keyRing, row.id, account.credentials);
				await client.query(
					`insert into platform_credentials (connection_id, workspace_id, key_id, iv, ciphertext, auth_tag) values ($1, $2, $3, $4, $5, $6)
					 on conflict (connection_id) do update set key_id = excluded.key_id, iv = excluded.iv, ciphertext = excluded.ciphertext,
					   auth_tag = excluded.auth_tag, rotated_at = now()`,
					[row.id, scope.workspaceId, sealed.keyId, sealed.iv, sealed.ciphertext, sealed.authTag]
				);
				await audit(client, {
					workspaceId: scope.workspaceId,
					actorId: scope.userId,
					action: existing ? 'connection.reauthorized' : 'connection.created',
					targetType: 'platform_connection',
					targetId: row.id,
					ip: ctx.ip,
					meta: { platform }
				});
				log.info(existing ? 'connection_reauthorized' : 'connection_created', { workspace_id: scope.workspaceId, connection_id: row.id, platform });
				out.push(toView(row, ctx.origin));
			}
			return out;
		});
		for (const view of views) ctx.platforms.forget(view.id);
		return views;
	} catch (error) {
		if (isUniqueViolation(error, 'platform_connections_active_key')) {
			throw new ConnectionError('already_connected', `This ${platform} account is already connected in ChatMai`);
		}
		throw error;
	}
}

/**
 * Identity is platform + account id + customer id, not the connection row: when an account that was
 * connected before (and disconnected) is connected again, its customers, conversations and cached
 * orders move to the new connection instead of being created a second time. Where earlier rows
 * disagree (several old connections of the account), the newest wins.
 */
async function adoptHistory(client: pg.PoolClient, workspaceId: string, platform: Platform, externalId: string, connectionId: string): Promise<void> {
	const old = `select id from platform_connections where workspace_id = $1 and platform = $2 and external_id = $3 and id <> $4`;
	const params = [workspaceId, platform, externalId, connectionId];
	await client.query(
		`update contact_identities set connection_id = $4 where id in (
		   select distinct on (external_id) id from contact_identities where connection_id in (${old}) order by external_id, created_at desc)`,
		params
	);
	await client.query(
		`update conversations set connection_id = $4 where id in (
		   select distinct on (external_thread_id) id from conversations where connection_id in (${old}) order by external_thread_id, last_message_at desc)`,
		params
	);
	await client.query(
		`update orders set connection_id = $4 where id in (
		   select distinct on (external_order_id) id from orders where connection_id in (${old}) order by external_order_id, fetched_at desc)`,
		params
	);
}

/**
 * New credentials for a connection, in place (a rotated LINE channel token, a Shopee token pasted by
 * hand): checked with the platform's identity endpoint like a new connection, then sealed over the old.
 */
export async function updateCredentials(ctx: ConnectionContext, scope: WorkspaceScope, id: string, raw: Record<string, unknown>): Promise<ConnectionView> {
	scope.require('manageWorkspace');
	if (!isUuid(id)) throw new ConnectionError('not_found', 'Not found');
	const { rows } = await ctx.db.query<ConnectionRow>(`select * from platform_connections where id = $1 and workspace_id = $2 and status = 'active'`, [id, scope.workspaceId]);
	const row = rows[0];
	if (!row) throw new ConnectionError('not_found', 'Not found');
	const credentials = ctx.platforms.describe(row.platform).credentialSchema.safeParse(raw);
	if (!credentials.success) throw new z.ZodError(credentials.error.issues.map((issue) => ({ ...issue, path: ['credentials', ...issue.path] })));
	const { apiBaseUrl, ...settings } = row.settings ?? {};
	await checkIdentity(ctx, {
		platform: row.platform,
		externalId: row.external_id,
		settings,
		apiBaseUrl: typeof apiBaseUrl === 'string' ? apiBaseUrl : undefined,
		credentials: credentials.data
	});
	const sealed = sealCredentials(ctx.keyRing, row.id, credentials.data);
	const updated = await transaction(ctx.db, async (client) => {
		await client.query(
			`insert into platform_credentials (connection_id, workspace_id, key_id, iv, ciphertext, auth_tag) values ($1, $2, $3, $4, $5, $6)
			 on conflict (connection_id) do update set key_id = excluded.key_id, iv = excluded.iv, ciphertext = excluded.ciphertext,
			   auth_tag = excluded.auth_tag, rotated_at = now()`,
			[row.id, scope.workspaceId, sealed.keyId, sealed.iv, sealed.ciphertext, sealed.authTag]
		);
		const { rows: done } = await client.query<ConnectionRow>(
			`update platform_connections set authorization_status = 'ok', last_error_code = null, last_error = null, last_error_at = null
			  where id = $1 returning *, true as has_credentials`,
			[row.id]
		);
		await audit(client, {
			workspaceId: scope.workspaceId,
			actorId: scope.userId,
			action: 'connection.credentials_updated',
			targetType: 'platform_connection',
			targetId: row.id,
			ip: ctx.ip,
			meta: { platform: row.platform }
		});
		return done[0]!;
	});
	ctx.platforms.forget(row.id);
	log.info('connection_credentials_updated', { workspace_id: scope.workspaceId, connection_id: row.id, platform: row.platform });
	return toView(updated, ctx.origin);
}

/**
 * "Send test": the platform sends a test event to the connection's webhook URL and says what it answered.
 * Owners and admins, active connections of platforms that offer a test (`webhookTest`).
 */
export async function testConnection(ctx: Pick<ConnectionContext, 'db' | 'platforms' | 'origin'>, scope: WorkspaceScope, id: string): Promise<WebhookTestView> {
	scope.require('manageWorkspace');
	if (!isUuid(id)) throw new ConnectionError('not_found', 'Not found');
	const { rows } = await ctx.db.query<{ platform: Platform }>(`select platform from platform_connections where id = $1 and workspace_id = $2 and status = 'active'`, [
		id,
		scope.workspaceId
	]);
	const row = rows[0];
	if (!row) throw new ConnectionError('not_found', 'Not found');
	if (!PLATFORM_FACTS[row.platform].webhookTest) throw new ConnectionError('test_unsupported', `${PLATFORM_FACTS[row.platform].name} cannot send a test event`);
	const result = await ctx.platforms.testWebhook(id, webhookUrl(ctx.origin, row.platform, id));
	if (!result) throw new ConnectionError('not_found', 'Not found');
	return result;
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

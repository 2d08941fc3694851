import { randomToken, sha256Hex } from '../crypto.ts';
import type { Queryable } from '../db.ts';
import { accessChanged } from '../access-changes.ts';
import { DomainError } from '../errors.ts';

/** Personal API tokens: `cm_<secret>`, shown once, only the SHA-256 stored. */
export const API_TOKEN_PREFIX = 'cm_';

export interface ApiToken {
	id: string;
	name: string;
	prefix: string;
	createdAt: Date;
	lastUsedAt: Date | null;
	expiresAt: Date | null;
}

export interface ApiTokenOwner {
	tokenId: string;
	userId: string;
	workspaceId: string;
	email: string;
	name: string;
	locale: 'en' | 'th';
}

export function isApiToken(token: string): boolean {
	return token.startsWith(API_TOKEN_PREFIX);
}

export class TokenRefused extends DomainError<'outlives_parent' | 'parent_gone'> {
	readonly reason: 'outlives_parent' | 'parent_gone';
	constructor(reason: TokenRefused['reason'], message: string) {
		super(reason === 'parent_gone' ? 401 : 400, reason, message);
		this.name = 'TokenRefused';
		this.reason = reason;
	}
}

/**
 * Makes a token. With `parentId` (the token the request came with) the new one can live no longer
 * than its parent: no expiry means the parent's, a later one is refused, and revoking the parent
 * revokes it (`revokeApiToken`).
 */
export async function createApiToken(
	db: Queryable,
	userId: string,
	workspaceId: string,
	name: string,
	expiresAt: Date | null = null,
	parentId: string | null = null
): Promise<{ token: string; apiToken: ApiToken }> {
	if (parentId) {
		const { rows } = await db.query<{ expires_at: Date | null }>(
			`select expires_at from api_tokens where id = $1 and user_id = $2 and revoked_at is null and (expires_at is null or expires_at > now())`,
			[parentId, userId]
		);
		if (!rows[0]) throw new TokenRefused('parent_gone', 'The token this request came with is no longer valid');
		const limit = rows[0].expires_at;
		if (limit && expiresAt && expiresAt > limit) {
			throw new TokenRefused('outlives_parent', `A token made with a token cannot outlive it: this one expires at ${limit.toISOString()}`);
		}
		expiresAt = expiresAt ?? limit;
	}
	const token = API_TOKEN_PREFIX + randomToken(25);
	const prefix = token.slice(0, 8);
	const { rows } = await db.query(
		`insert into api_tokens (user_id, workspace_id, name, token_hash, prefix, expires_at, parent_id)
		 values ($1, $2, $3, $4, $5, $6, $7) returning id, created_at`,
		[userId, workspaceId, name, sha256Hex(token), prefix, expiresAt, parentId]
	);
	return {
		token,
		apiToken: { id: rows[0].id, name, prefix, createdAt: rows[0].created_at, lastUsedAt: null, expiresAt }
	};
}

/** Looks a token up by its hash (a 200-bit secret: the lookup itself leaks nothing useful). */
export async function validateApiToken(db: Queryable, token: string): Promise<ApiTokenOwner | null> {
	if (!isApiToken(token) || token.length > 100) return null;
	const { rows } = await db.query(
		`update api_tokens t set last_used_at = now()
		   from users u
		  where t.token_hash = $1 and u.id = t.user_id and t.revoked_at is null
		    and (t.expires_at is null or t.expires_at > now())
		    and exists (select 1 from memberships m where m.user_id = t.user_id and m.workspace_id = t.workspace_id)
		 returning t.id, t.user_id, t.workspace_id, u.email, u.name, u.locale`,
		[sha256Hex(token)]
	);
	const row = rows[0];
	return row
		? { tokenId: row.id, userId: row.user_id, workspaceId: row.workspace_id, email: row.email, name: row.name, locale: row.locale }
		: null;
}

/**
 * An API token by its id, checked as `validateApiToken` checks it (not revoked, not expired, its
 * user still a member of its workspace), for a connection that authenticated with it earlier.
 */
export async function apiTokenById(db: Queryable, tokenId: string): Promise<ApiTokenOwner | null> {
	const { rows } = await db.query(
		`select t.id, t.user_id, t.workspace_id, u.email, u.name, u.locale
		   from api_tokens t join users u on u.id = t.user_id
		  where t.id = $1 and t.revoked_at is null
		    and (t.expires_at is null or t.expires_at > now())
		    and exists (select 1 from memberships m where m.user_id = t.user_id and m.workspace_id = t.workspace_id)`,
		[tokenId]
	);
	const row = rows[0];
	return row
		? { tokenId: row.id, userId: row.user_id, workspaceId: row.workspace_id, email: row.email, name: row.name, locale: row.locale }
		: null;
}

export async function listApiTokens(db: Queryable, userId: string, workspaceId: string): Promise<ApiToken[]> {
	const { rows } = await db.query(
		`select id, name, prefix, created_at, last_used_at, expires_at from api_tokens
		  where user_id = $1 and workspace_id = $2 and revoked_at is null order by created_at desc`,
		[userId, workspaceId]
	);
	return rows.map((r) => ({ id: r.id, name: r.name, prefix: r.prefix, createdAt: r.created_at, lastUsedAt: r.last_used_at, expiresAt: r.expires_at }));
}

/** Revokes a token and every token made with it (and with those). False when there was none to revoke. */
export async function revokeApiToken(db: Queryable, userId: string, workspaceId: string, tokenId: string): Promise<boolean> {
	const { rows } = await db.query<{ id: string }>(
		`with recursive family as (
		   select id from api_tokens where id = $1 and user_id = $2 and workspace_id = $3 and revoked_at is null
		   union
		   select t.id from api_tokens t join family f on t.parent_id = f.id
		 )
		 update api_tokens t set revoked_at = now() from family f where t.id = f.id and t.revoked_at is null returning t.id`,
		[tokenId, userId, workspaceId]
	);
	const revoked = rows.some((r) => r.id === tokenId);
	// Live document connections opened with the token or its descendants are closed.
	if (revoked) accessChanged({ type: 'user', userId });
	return revoked;
}

import { randomToken, safeEqual, sha256Hex } from '../crypto.ts';
import type { Queryable } from '../db.ts';
import { accessChanged } from '../access-changes.ts';

/**
 * Sessions as Lucia's site documents them (lucia-auth.com, "Sessions"): the client holds
 * `<id>.<secret>`; the database keeps the id and the SHA-256 of the secret, compared in constant
 * time. Expiry slides: a session used in the second half of its life is extended.
 */

export interface Session {
	id: string;
	userId: string;
	workspaceId: string | null;
	expiresAt: Date;
}

export interface SessionUser {
	id: string;
	email: string;
	name: string;
	locale: 'en' | 'th';
}

export interface ValidatedSession {
	session: Session;
	user: SessionUser;
	/** True when the expiry moved and the cookie should be re-sent. */
	refreshed: boolean;
}

export interface SessionOptions {
	/** @default 30 */
	days?: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Creates a session and returns the token to hand to the client (it is never stored). */
export async function createSession(
	db: Queryable,
	userId: string,
	workspaceId: string | null,
	meta: { ip?: string; userAgent?: string } = {},
	options: SessionOptions = {}
): Promise<{ token: string; session: Session }> {
	const id = randomToken(15); // 120 bits: a lookup key, not a secret
	const secret = randomToken(25); // 200 bits
	const expiresAt = new Date(Date.now() + (options.days ?? 30) * DAY_MS);
	await db.query(
		`insert into sessions (id, secret_hash, user_id, workspace_id, expires_at, ip, user_agent)
		 values ($1, $2, $3, $4, $5, $6, $7)`,
		[id, sha256Hex(secret), userId, workspaceId, expiresAt, meta.ip ?? null, meta.userAgent?.slice(0, 300) ?? null]
	);
	return { token: `${id}.${secret}`, session: { id, userId, workspaceId, expiresAt } };
}

/** The single check behind cookies, the REST API and the collab server. */
export async function validateSession(db: Queryable, token: string, options: SessionOptions = {}): Promise<ValidatedSession | null> {
	const dot = token.indexOf('.');
	if (dot < 1 || token.length > 200) return null;
	const id = token.slice(0, dot);
	const secret = token.slice(dot + 1);
	const { rows } = await db.query(
		`select s.id, s.secret_hash, s.user_id, s.workspace_id, s.expires_at, u.email, u.name, u.locale
		   from sessions s join users u on u.id = s.user_id
		  where s.id = $1`,
		[id]
	);
	const row = rows[0];
	if (!row) return null;
	if (!safeEqual(sha256Hex(secret), row.secret_hash)) return null;
	const session: Session = { id: row.id, userId: row.user_id, workspaceId: row.workspace_id, expiresAt: row.expires_at };
	const now = Date.now();
	if (now >= session.expiresAt.getTime()) {
		await db.query('delete from sessions where id = $1', [id]);
		return null;
	}
	const lifetime = (options.days ?? 30) * DAY_MS;
	let refreshed = false;
	if (now >= session.expiresAt.getTime() - lifetime / 2) {
		session.expiresAt = new Date(now + lifetime);
		await db.query('update sessions set expires_at = $2 where id = $1', [id, session.expiresAt]);
		refreshed = true;
	}
	return { session, user: { id: row.user_id, email: row.email, name: row.name, locale: row.locale }, refreshed };
}

/**
 * A session by its id alone, for credentials that were issued to it and proved themselves already
 * (collab tickets). Expired sessions are null; expiry does not slide here.
 */
export async function sessionById(db: Queryable, id: string): Promise<ValidatedSession | null> {
	const { rows } = await db.query(
		`select s.id, s.user_id, s.workspace_id, s.expires_at, u.email, u.name, u.locale
		   from sessions s join users u on u.id = s.user_id
		  where s.id = $1 and s.expires_at > now()`,
		[id]
	);
	const row = rows[0];
	if (!row) return null;
	return {
		session: { id: row.id, userId: row.user_id, workspaceId: row.workspace_id, expiresAt: row.expires_at },
		user: { id: row.user_id, email: row.email, name: row.name, locale: row.locale },
		refreshed: false
	};
}

/** `sessionById` for many ids in one query (the collab server's reconnect storms); a session gone or expired is absent. */
export async function sessionsById(db: Queryable, ids: string[]): Promise<Map<string, ValidatedSession>> {
	const { rows } = await db.query(
		`select s.id, s.user_id, s.workspace_id, s.expires_at, u.email, u.name, u.locale
		   from sessions s join users u on u.id = s.user_id
		  where s.id = any($1::text[]) and s.expires_at > now()`,
		[ids]
	);
	return new Map(
		rows.map((row) => [
			row.id as string,
			{
				session: { id: row.id, userId: row.user_id, workspaceId: row.workspace_id, expiresAt: row.expires_at },
				user: { id: row.user_id, email: row.email, name: row.name, locale: row.locale },
				refreshed: false
			}
		])
	);
}

/**
 * Ends a session. Live document connections opened with it are closed (the access change is
 * announced; call this outside a transaction, or just before its commit).
 */
export async function invalidateSession(db: Queryable, sessionId: string): Promise<void> {
	const { rows } = await db.query<{ user_id: string }>('delete from sessions where id = $1 returning user_id', [sessionId]);
	if (rows[0]) accessChanged({ type: 'user', userId: rows[0].user_id });
}

/**
 * Signs a user out everywhere (password change or reset, account deletion), optionally keeping
 * one session; their live document connections on the other sessions are closed.
 */
export async function invalidateUserSessions(db: Queryable, userId: string, exceptSessionId?: string): Promise<void> {
	await db.query('delete from sessions where user_id = $1 and id is distinct from $2', [userId, exceptSessionId ?? null]);
	accessChanged({ type: 'user', userId });
}

/** Switches the session's workspace and remembers it as its user's last (where the next login opens). */
export async function setSessionWorkspace(db: Queryable, sessionId: string, workspaceId: string): Promise<void> {
	await db.query(
		`with s as (update sessions set workspace_id = $2 where id = $1 returning user_id)
		 update users set last_workspace_id = $2 where id in (select user_id from s)`,
		[sessionId, workspaceId]
	);
}

export async function deleteExpiredSessions(db: Queryable): Promise<number> {
	const { rowCount } = await db.query('delete from sessions where expires_at <= now()');
	return rowCount ?? 0;
}

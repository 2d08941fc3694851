import { randomToken, sha256Hex } from './crypto.ts';
import type { Queryable } from './db.ts';
import { hit } from './rate-limit.ts';
import { RateLimited } from './auth/throttle.ts';

/**
 * Single-use links sent by e-mail (verification, password reset). The link carries the token; the
 * database keeps only its SHA-256, the address it was sent to and when it stops working.
 */

export type EmailTokenPurpose = 'verify_email' | 'password_reset';

/** @default verify_email 48 hours, password_reset 1 hour */
export const EMAIL_TOKEN_HOURS: Readonly<Record<EmailTokenPurpose, number>> = { verify_email: 48, password_reset: 1 };

/** Tokens are 40 base32 characters (200 bits); anything else is refused before a query. */
export const isEmailTokenShape = (token: string) => /^[a-z2-7]{40}$/.test(token);

export async function issueEmailToken(
	db: Queryable,
	purpose: EmailTokenPurpose,
	user: { id: string; email: string },
	invitationId: string | null = null
): Promise<string> {
	const token = randomToken(25);
	await db.query(
		`insert into email_tokens (user_id, purpose, token_hash, email, invitation_id, expires_at)
		 values ($1, $2, $3, $4, $5, now() + make_interval(hours => $6))`,
		[user.id, purpose, sha256Hex(token), user.email.toLowerCase(), invitationId, EMAIL_TOKEN_HOURS[purpose]]
	);
	return token;
}

export interface EmailTokenRow {
	id: string;
	userId: string;
	email: string;
	invitationId: string | null;
}

/**
 * The unused, unexpired token of `purpose`, locked for the transaction (`consume` marks it used),
 * or null. A token whose address is no longer the account's is refused too.
 */
export async function findEmailToken(db: Queryable, purpose: EmailTokenPurpose, token: string, lock = false): Promise<EmailTokenRow | null> {
	if (!isEmailTokenShape(token)) return null;
	const { rows } = await db.query(
		`select t.id, t.user_id, t.email, t.invitation_id from email_tokens t join users u on u.id = t.user_id
		  where t.token_hash = $1 and t.purpose = $2 and t.used_at is null and t.expires_at > now() and lower(u.email) = t.email
		  ${lock ? 'for update of t' : ''}`,
		[sha256Hex(token), purpose]
	);
	const row = rows[0];
	return row ? { id: row.id, userId: row.user_id, email: row.email, invitationId: row.invitation_id } : null;
}

/** Marks every unused token of this user and purpose used: one link's use ends its siblings. */
export async function consumeEmailTokens(db: Queryable, userId: string, purpose: EmailTokenPurpose): Promise<void> {
	await db.query(`update email_tokens set used_at = now() where user_id = $1 and purpose = $2 and used_at is null`, [userId, purpose]);
}

/** Limits mails asked for from one IP address (the asker sees the error: it reveals nothing). */
export async function throttleMailRequests(db: Queryable, ip: string | undefined): Promise<void> {
	const wait = await hit(db, `mail:ip:${ip ?? 'unknown'}`, { limit: 20, windowSeconds: 60 * 60 });
	if (wait > 0) throw new RateLimited(wait);
}

/**
 * Whether one more account mail may go to `address` this hour. Over the limit the mail is silently
 * skipped, so no answer changes with whether the address has an account.
 */
export async function mailAllowedTo(db: Queryable, address: string): Promise<boolean> {
	return (await hit(db, `mail:address:${address.trim().toLowerCase()}`, { limit: 5, windowSeconds: 60 * 60 })) === 0;
}

/** Drops tokens that can no longer be used (called with the other hourly housekeeping). */
export async function deleteExpiredEmailTokens(db: Queryable): Promise<number> {
	const { rowCount } = await db.query(`delete from email_tokens where expires_at < now() - interval '1 day'`);
	return rowCount ?? 0;
}

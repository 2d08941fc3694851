import { audit } from './audit.ts';
import { AccountError, email, password, type MailContext } from './accounts.ts';
import { hashPassword } from './auth/password.ts';
import { invalidateUserSessions } from './auth/session.ts';
import { loginSucceeded } from './auth/throttle.ts';
import { transaction, type Pool, type Queryable } from './db.ts';
import { consumeEmailTokens, findEmailToken, issueEmailToken, mailAllowedTo, throttleMailRequests } from './email-tokens.ts';
import { deliverLater } from './mail/mailer.ts';
import { composeMail } from './mail/templates.ts';

/**
 * Password reset by an e-mailed single-use link: it expires in an hour, only its SHA-256 is kept,
 * and using it ends every session of the account. Asking for one answers the same whether or not
 * the address has an account (the mail goes out in the background).
 */

export async function requestPasswordReset(db: Queryable, mail: MailContext, rawEmail: string, ip?: string): Promise<void> {
	const address = email.parse(rawEmail);
	await throttleMailRequests(db, ip);
	const { rows } = await db.query(`select id, email, name, locale from users where lower(email) = $1`, [address]);
	const user = rows[0];
	if (!user || !(await mailAllowedTo(db, address))) return;
	const token = await issueEmailToken(db, 'password_reset', user);
	await audit(db, { actorId: user.id, action: 'auth.password_reset_requested', targetType: 'user', targetId: user.id, ip });
	deliverLater(mail.mailer, composeMail('password_reset', user.locale, user.email, `${mail.origin}/reset-password/${token}`, { name: user.name }, user.id));
}

/** Whether a reset link can still be used (the page shows the form or says it cannot). */
export async function peekPasswordReset(db: Queryable, token: string): Promise<boolean> {
	return (await findEmailToken(db, 'password_reset', token)) !== null;
}

/**
 * Sets the new password, uses the link up (and every other reset link of the account), ends every
 * session of the account and audits it. The link came to the address, so it also proves it.
 */
export async function resetPassword(pool: Pool, token: string, rawPassword: string, ip?: string): Promise<{ userId: string }> {
	const next = password.parse(rawPassword);
	const passwordHash = await hashPassword(next);
	const { userId, address } = await transaction(pool, async (tx) => {
		const row = await findEmailToken(tx, 'password_reset', token, true);
		if (!row) throw new AccountError('link_invalid');
		await tx.query(
			`update users set password_hash = $2, email_verified_at = coalesce(email_verified_at, now()), updated_at = now() where id = $1`,
			[row.userId, passwordHash]
		);
		await consumeEmailTokens(tx, row.userId, 'password_reset');
		await audit(tx, { actorId: row.userId, action: 'auth.password_reset', targetType: 'user', targetId: row.userId, ip });
		return { userId: row.userId, address: row.email };
	});
	// After the commit, so whatever listens for ended sessions sees the new state.
	await invalidateUserSessions(pool, userId);
	await loginSucceeded(pool, address);
	return { userId };
}

import { audit } from './audit.ts';
import { AccountError, joinByInvitation, lockInvitation, type MailContext } from './accounts.ts';
import { transaction, type Pool, type Queryable } from './db.ts';
import { consumeEmailTokens, findEmailToken, issueEmailToken, mailAllowedTo } from './email-tokens.ts';
import { deliverLater } from './mail/mailer.ts';
import { composeMail } from './mail/templates.ts';

/**
 * E-mail verification: a single-use link (48 hours) proves the account's address. An invitation
 * bound to an address is accepted only by a verified account with that address; a sign-up from
 * such an invitation joins when its link is opened.
 */

/**
 * Sends a new verification link unless the address is verified already (or had enough mail this
 * hour). `invitationId`: the invitation the account joins once verified.
 */
export async function sendVerification(db: Queryable, mail: MailContext, userId: string, invitationId: string | null = null): Promise<'sent' | 'already_verified' | 'skipped'> {
	const { rows } = await db.query(`select id, email, name, locale, email_verified_at from users where id = $1`, [userId]);
	const user = rows[0];
	if (!user) throw new AccountError('invalid_credentials');
	if (user.email_verified_at) return 'already_verified';
	if (!(await mailAllowedTo(db, user.email))) return 'skipped';
	const token = await issueEmailToken(db, 'verify_email', user, invitationId);
	deliverLater(mail.mailer, composeMail('verify_email', user.locale, user.email, `${mail.origin}/verify-email/${token}`, { name: user.name }, user.id));
	return 'sent';
}

/** The address a verification link is for, or null when the link cannot be used. */
export async function peekVerification(db: Queryable, token: string): Promise<{ email: string } | null> {
	const row = await findEmailToken(db, 'verify_email', token);
	return row ? { email: row.email } : null;
}

/**
 * Marks the address verified (the link and its siblings are used up) and, when the link came from
 * a sign-up by an invitation for this address, joins that workspace. Returns the workspace joined.
 */
export async function verifyEmail(pool: Pool, token: string, ip?: string): Promise<{ userId: string; joinedWorkspaceId: string | null }> {
	return transaction(pool, async (tx) => {
		const row = await findEmailToken(tx, 'verify_email', token, true);
		if (!row) throw new AccountError('link_invalid');
		await tx.query(`update users set email_verified_at = coalesce(email_verified_at, now()), updated_at = now() where id = $1`, [row.userId]);
		await consumeEmailTokens(tx, row.userId, 'verify_email');
		await audit(tx, { actorId: row.userId, action: 'auth.email_verified', targetType: 'user', targetId: row.userId, ip });
		let joinedWorkspaceId: string | null = null;
		const invite = row.invitationId ? await lockInvitation(tx, { id: row.invitationId }) : null;
		if (invite?.email && invite.email.toLowerCase() === row.email) {
			const member = await tx.query(`select 1 from memberships where workspace_id = $1 and user_id = $2`, [invite.workspaceId, row.userId]);
			if (!member.rowCount) joinedWorkspaceId = await joinByInvitation(tx, invite, row.userId, ip);
		}
		return { userId: row.userId, joinedWorkspaceId };
	});
}

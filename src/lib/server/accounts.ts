import { z } from 'zod';
import { randomToken, sha256Hex } from './crypto.ts';
import { isUniqueViolation, transaction, type Pool, type Queryable } from './db.ts';
import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, verifyDecoy, verifyPassword } from './auth/password.ts';
import { audit } from './audit.ts';
import { accessChanged } from './access-changes.ts';
import { loginSucceeded } from './auth/throttle.ts';
import { AccessDenied, type Role, type WorkspaceScope } from './scope.ts';
import { issueEmailToken, mailAllowedTo } from './email-tokens.ts';
import { deliver, deliverLater, type Delivery, type Mailer } from './mail/mailer.ts';
import { composeMail } from './mail/templates.ts';
import { DomainError } from './errors.ts';

/** Per reason: the HTTP status and the English sentence for API clients (forms word the reason: accountErrorMessage). */
const ACCOUNT_REFUSALS = {
	email_taken: [409, 'An account with this e-mail already exists'],
	invalid_credentials: [401, 'Wrong e-mail or password'],
	invitation_invalid: [404, 'This invitation has expired, was revoked or was already used'],
	invitation_email_mismatch: [403, 'This invitation is for another e-mail address'],
	email_unverified: [403, 'Confirm your e-mail address first (see the link we sent you)'],
	link_invalid: [400, 'This link has expired or was already used'],
	last_owner: [409, 'A workspace needs at least one owner'],
	not_allowed: [403, 'Your role cannot do this'],
	already_member: [409, 'You are already a member of this workspace']
} as const satisfies Record<string, readonly [status: number, message: string]>;

/** A domain error a form or API can show the user, with a typed reason and the field it concerns. */
export class AccountError extends DomainError<keyof typeof ACCOUNT_REFUSALS> {
	readonly reason:
		| 'email_taken'
		| 'invalid_credentials'
		| 'invitation_invalid'
		| 'invitation_email_mismatch'
		| 'email_unverified'
		| 'link_invalid'
		| 'last_owner'
		| 'not_allowed'
		| 'already_member';
	readonly field?: string;
	constructor(reason: AccountError['reason'], field?: string) {
		super(ACCOUNT_REFUSALS[reason][0], reason, ACCOUNT_REFUSALS[reason][1]);
		this.reason = reason;
		this.field = field;
	}
}

export const email = z.string().trim().toLowerCase().max(254).email();
export const password = z.string().min(PASSWORD_MIN_LENGTH).max(PASSWORD_MAX_LENGTH);
export const personName = z.string().trim().min(1).max(120);
export const locale = z.enum(['en', 'th']);

export const signupInput = z.object({
	email,
	password,
	name: personName,
	workspaceName: z.string().trim().min(1).max(120).optional(),
	locale: locale.default('en'),
	/** The token of an invitation link: the account joins that workspace instead of creating one. */
	invitation: z.string().min(20).max(100).optional()
});
export type SignupInput = z.input<typeof signupInput>;

export const loginInput = z.object({ email, password: z.string().min(1).max(PASSWORD_MAX_LENGTH) });

export interface User {
	id: string;
	email: string;
	name: string;
	locale: 'en' | 'th';
}

export interface WorkspaceSummary {
	id: string;
	name: string;
	role: Role;
	timeZone: string;
}

/** Where mail goes and the public address its links start with. */
export interface MailContext {
	mailer: Mailer;
	/** e.g. `https://inbox.example.com` (config.origin, else the request's). */
	origin: string;
}

export interface SignupResult {
	user: User;
	/** The workspace the account works in now: its own, or the invitation's; null while it waits. */
	workspaceId: string | null;
	/**
	 * From an invitation: `joined` at once (an open invitation), or `verify_email` (bound to the
	 * address: the account joins when the link mailed to it is opened).
	 */
	invitation?: 'joined' | 'verify_email';
}

/**
 * Creates a user and, in the same transaction, either their own workspace (owner) or, from an
 * invitation, their membership of the inviting workspace. A refused invitation creates nothing.
 * With `mail`, the new address gets a verification link, and an address that already has an
 * account gets a note (with a reset link) instead of a new account.
 */
export async function signUp(pool: Pool, raw: SignupInput, ip?: string, mail?: MailContext): Promise<SignupResult> {
	const input = signupInput.parse(raw);
	const passwordHash = await hashPassword(input.password);
	let created: SignupResult & { verifyToken: string };
	try {
		created = await transaction(pool, async (tx) => {
			const invite = input.invitation ? await lockInvitation(tx, { token: input.invitation }) : null;
			if (input.invitation && !invite) throw new AccountError('invitation_invalid');
			if (invite?.email && invite.email.toLowerCase() !== input.email) throw new AccountError('invitation_email_mismatch', 'email');
			const { rows } = await tx.query(
				`insert into users (email, name, password_hash, locale) values ($1, $2, $3, $4) returning id`,
				[input.email, input.name, passwordHash, input.locale]
			);
			const userId: string = rows[0].id;
			let workspaceId: string | null = null;
			if (!invite) {
				const workspaceName = input.workspaceName ?? (input.locale === 'th' ? `ร้านของ ${input.name}` : `${input.name}'s shop`);
				const ws = await tx.query(`insert into workspaces (name) values ($1) returning id`, [workspaceName.slice(0, 120)]);
				workspaceId = ws.rows[0].id as string;
				await tx.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, 'owner')`, [workspaceId, userId]);
				await tx.query(`update users set last_workspace_id = $2 where id = $1`, [userId, workspaceId]);
			}
			await audit(tx, { workspaceId: workspaceId ?? invite?.workspaceId, actorId: userId, action: 'auth.signup', targetType: 'user', targetId: userId, ip, meta: invite ? { invitation: invite.id } : undefined });
			if (invite && !invite.email) workspaceId = await joinByInvitation(tx, invite, userId, ip);
			// Bound to the address: the membership waits for the verification link, which carries the invitation.
			const verifyToken = await issueEmailToken(tx, 'verify_email', { id: userId, email: input.email }, invite?.email ? invite.id : null);
			const user: User = { id: userId, email: input.email, name: input.name, locale: input.locale };
			return { user, workspaceId, verifyToken, ...(invite ? { invitation: invite.email ? ('verify_email' as const) : ('joined' as const) } : {}) };
		});
	} catch (error) {
		if (isUniqueViolation(error, 'users_email_key')) {
			if (mail) await notifySignupAttempt(pool, mail, input.email);
			throw new AccountError('email_taken', 'email');
		}
		throw error;
	}
	const { verifyToken, ...result } = created;
	if (mail) {
		const link = `${mail.origin}/verify-email/${verifyToken}`;
		deliverLater(mail.mailer, composeMail('verify_email', result.user.locale, result.user.email, link, { name: result.user.name }, result.user.id));
	}
	return result;
}

/** Someone signed up with a registered address: its owner hears of it, with a way back in. */
async function notifySignupAttempt(db: Queryable, mail: MailContext, address: string): Promise<void> {
	const { rows } = await db.query(`select id, email, name, locale from users where lower(email) = $1`, [address]);
	const owner = rows[0];
	if (!owner || !(await mailAllowedTo(db, owner.email))) return;
	const token = await issueEmailToken(db, 'password_reset', { id: owner.id, email: owner.email });
	await audit(db, { actorId: null, action: 'auth.signup_existing_email', targetType: 'user', targetId: owner.id });
	const link = `${mail.origin}/reset-password/${token}`;
	deliverLater(mail.mailer, composeMail('signup_attempt', owner.locale, owner.email, link, { name: owner.name }, owner.id));
}

/** Checks a password. Unknown e-mail and wrong password cost the same and fail the same way. */
export async function logIn(db: Queryable, raw: { email: string; password: string }, ip?: string): Promise<User> {
	const input = loginInput.parse(raw);
	const { rows } = await db.query(`select id, email, name, locale, password_hash from users where lower(email) = $1`, [input.email]);
	const row = rows[0];
	const ok = row ? await verifyPassword(row.password_hash, input.password) : await verifyDecoy(input.password);
	if (!row || !ok) {
		await audit(db, { actorId: row?.id ?? null, action: 'auth.login_failed', ip, meta: { known: Boolean(row) } });
		throw new AccountError('invalid_credentials');
	}
	await audit(db, { actorId: row.id, action: 'auth.login', targetType: 'user', targetId: row.id, ip });
	// This address's own count of guesses starts again (the routes clear the account's).
	await loginSucceeded(db, input.email, ip);
	return { id: row.id, email: row.email, name: row.name, locale: row.locale };
}

/** Whether the account's address was proved by a link sent to it. */
export async function isEmailVerified(db: Queryable, userId: string): Promise<boolean> {
	const { rows } = await db.query(`select email_verified_at from users where id = $1`, [userId]);
	return Boolean(rows[0]?.email_verified_at);
}

export async function changePassword(db: Queryable, userId: string, current: string, next: string): Promise<void> {
	const parsed = password.parse(next);
	const { rows } = await db.query(`select password_hash from users where id = $1`, [userId]);
	if (!rows[0] || !(await verifyPassword(rows[0].password_hash, current))) throw new AccountError('invalid_credentials', 'current');
	await db.query(`update users set password_hash = $2, updated_at = now() where id = $1`, [userId, await hashPassword(parsed)]);
	await audit(db, { actorId: userId, action: 'auth.password_changed', targetType: 'user', targetId: userId });
}

export async function setLocale(db: Queryable, userId: string, value: 'en' | 'th'): Promise<void> {
	await db.query(`update users set locale = $2, updated_at = now() where id = $1`, [userId, locale.parse(value)]);
}

export async function listWorkspaces(db: Queryable, userId: string): Promise<WorkspaceSummary[]> {
	const { rows } = await db.query(
		`select w.id, w.name, w.time_zone, m.role from memberships m join workspaces w on w.id = m.workspace_id
		  where m.user_id = $1 order by w.name, w.id`,
		[userId]
	);
	return rows.map((r) => ({ id: r.id, name: r.name, role: r.role, timeZone: r.time_zone }));
}

export async function getWorkspace(db: Queryable, scope: WorkspaceScope): Promise<WorkspaceSummary> {
	const { rows } = await db.query(`select id, name, time_zone from workspaces where id = $1`, [scope.workspaceId]);
	return { id: rows[0].id, name: rows[0].name, role: scope.role, timeZone: rows[0].time_zone };
}

// ---- Members -------------------------------------------------------------------------------

export interface Member {
	userId: string;
	name: string;
	email: string;
	role: Role;
	joinedAt: Date;
}

export async function listMembers(db: Queryable, scope: WorkspaceScope): Promise<Member[]> {
	scope.require('read');
	const { rows } = await db.query(
		`select u.id, u.name, u.email, m.role, m.created_at from memberships m join users u on u.id = m.user_id
		  where m.workspace_id = $1 order by m.created_at`,
		[scope.workspaceId]
	);
	return rows.map((r) => ({ userId: r.id, name: r.name, email: r.email, role: r.role, joinedAt: r.created_at }));
}

/** Owners alone make or unmake owners; the last owner can be neither demoted nor removed. */
async function guardRoleChange(db: Queryable, scope: WorkspaceScope, targetUserId: string, nextRole: Role | null): Promise<Role> {
	scope.require('manageMembers');
	const { rows } = await db.query(`select role from memberships where workspace_id = $1 and user_id = $2 for update`, [
		scope.workspaceId,
		targetUserId
	]);
	if (!rows[0]) throw new AccessDenied('not_found');
	const current: Role = rows[0].role;
	if ((current === 'owner' || nextRole === 'owner') && scope.role !== 'owner') throw new AccountError('not_allowed');
	if (current === 'owner' && nextRole !== 'owner') {
		const owners = await db.query(`select count(*)::int as n from memberships where workspace_id = $1 and role = 'owner'`, [scope.workspaceId]);
		if (owners.rows[0].n <= 1) throw new AccountError('last_owner');
	}
	return current;
}

export async function changeRole(pool: Pool, scope: WorkspaceScope, targetUserId: string, role: Role, ip?: string): Promise<void> {
	await transaction(pool, async (tx) => {
		const previous = await guardRoleChange(tx, scope, targetUserId, role);
		await tx.query(`update memberships set role = $3 where workspace_id = $1 and user_id = $2`, [scope.workspaceId, targetUserId, role]);
		await audit(tx, { workspaceId: scope.workspaceId, actorId: scope.userId, action: 'member.role_changed', targetType: 'user', targetId: targetUserId, ip, meta: { from: previous, to: role } });
	});
	accessChanged({ type: 'user', userId: targetUserId });
}

export async function removeMember(pool: Pool, scope: WorkspaceScope, targetUserId: string, ip?: string): Promise<void> {
	await transaction(pool, async (tx) => {
		const previous = await guardRoleChange(tx, scope, targetUserId, null);
		await tx.query(`delete from memberships where workspace_id = $1 and user_id = $2`, [scope.workspaceId, targetUserId]);
		await tx.query(`update sessions set workspace_id = null where user_id = $1 and workspace_id = $2`, [targetUserId, scope.workspaceId]);
		await tx.query(`update api_tokens set revoked_at = now() where user_id = $1 and workspace_id = $2 and revoked_at is null`, [targetUserId, scope.workspaceId]);
		await audit(tx, { workspaceId: scope.workspaceId, actorId: scope.userId, action: 'member.removed', targetType: 'user', targetId: targetUserId, ip, meta: { role: previous } });
	});
	accessChanged({ type: 'user', userId: targetUserId });
}

// ---- Invitations -----------------------------------------------------------------------------

export const inviteInput = z.object({
	email: email.optional().or(z.literal('').transform(() => undefined)),
	role: z.enum(['admin', 'agent', 'supervisor']),
	/** The language of the invitation e-mail. @default the inviter's */
	locale: locale.optional()
});

export interface Invitation {
	id: string;
	email: string | null;
	role: Role;
	expiresAt: Date;
	createdAt: Date;
}

const INVITE_DAYS = 7;

/** The invitation link of a token. */
export const invitationUrl = (origin: string, token: string) => `${origin}/invite/${token}`;

/**
 * Creates an invitation and returns the one-time token for the link (only its hash is kept). With
 * an address and `mail`, the link is also e-mailed; `delivery` says what became of that mail (the
 * link is returned either way, for the admin to copy).
 */
export async function createInvitation(
	db: Queryable,
	scope: WorkspaceScope,
	raw: z.input<typeof inviteInput>,
	ip?: string,
	mail?: MailContext
): Promise<{ token: string; invitation: Invitation; delivery: Delivery | null }> {
	scope.require('manageMembers');
	const input = inviteInput.parse(raw);
	if (input.role === 'admin' && scope.role !== 'owner') throw new AccountError('not_allowed', 'role');
	const mailLocale = input.locale ?? scope.principal.locale;
	const token = randomToken(25);
	const { rows } = await db.query(
		`insert into invitations (workspace_id, email, role, token_hash, invited_by, expires_at, locale)
		 values ($1, $2, $3, $4, $5, now() + make_interval(days => $6), $7) returning id, expires_at, created_at`,
		[scope.workspaceId, input.email ?? null, input.role, sha256Hex(token), scope.userId, INVITE_DAYS, mailLocale]
	);
	await audit(db, { workspaceId: scope.workspaceId, actorId: scope.userId, action: 'member.invited', targetType: 'invitation', targetId: rows[0].id, ip, meta: { role: input.role } });
	const invitation: Invitation = { id: rows[0].id, email: input.email ?? null, role: input.role, expiresAt: rows[0].expires_at, createdAt: rows[0].created_at };
	let delivery: Delivery | null = null;
	if (mail && input.email) {
		const ws = await db.query(`select name from workspaces where id = $1`, [scope.workspaceId]);
		const params = { workspace: ws.rows[0].name as string, inviter: scope.principal.name, role: input.role };
		delivery = await deliver(mail.mailer, composeMail('invitation', mailLocale, input.email, invitationUrl(mail.origin, token), params));
	}
	return { token, invitation, delivery };
}

export async function listInvitations(db: Queryable, scope: WorkspaceScope): Promise<Invitation[]> {
	scope.require('manageMembers');
	const { rows } = await db.query(
		`select id, email, role, expires_at, created_at from invitations
		  where workspace_id = $1 and accepted_at is null and revoked_at is null and expires_at > now() order by created_at desc`,
		[scope.workspaceId]
	);
	return rows.map((r) => ({ id: r.id, email: r.email, role: r.role, expiresAt: r.expires_at, createdAt: r.created_at }));
}

/** Revokes a pending invitation of this workspace; any other id (another workspace's, used, gone) is not found. */
export async function revokeInvitation(db: Queryable, scope: WorkspaceScope, invitationId: string): Promise<void> {
	scope.require('manageMembers');
	const { rowCount } = await db.query(
		`update invitations set revoked_at = now() where id = $1 and workspace_id = $2 and accepted_at is null and revoked_at is null`,
		[invitationId, scope.workspaceId]
	);
	if (!rowCount) throw new AccessDenied('not_found');
}

/** What an invitation link shows before it is accepted; null when it is not usable. */
export async function peekInvitation(db: Queryable, token: string): Promise<{ id: string; workspaceName: string; role: Role; email: string | null } | null> {
	const { rows } = await db.query(
		`select i.id, w.name, i.role, i.email from invitations i join workspaces w on w.id = i.workspace_id
		  where i.token_hash = $1 and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()`,
		[sha256Hex(token)]
	);
	return rows[0] ? { id: rows[0].id, workspaceName: rows[0].name, role: rows[0].role, email: rows[0].email } : null;
}

/** A usable invitation, locked for this transaction; by the link's token or by id. */
export interface LockedInvitation {
	id: string;
	workspaceId: string;
	role: Role;
	email: string | null;
}

export async function lockInvitation(tx: Queryable, by: { token: string } | { id: string }): Promise<LockedInvitation | null> {
	const { rows } = await tx.query(
		`select id, workspace_id, role, email from invitations
		  where ${'token' in by ? 'token_hash' : 'id'} = $1 and accepted_at is null and revoked_at is null and expires_at > now() for update`,
		['token' in by ? sha256Hex(by.token) : by.id]
	);
	const row = rows[0];
	return row ? { id: row.id, workspaceId: row.workspace_id, role: row.role, email: row.email } : null;
}

/** Makes `userId` a member by a locked, checked invitation, uses it up and remembers the workspace. */
export async function joinByInvitation(tx: Queryable, invite: LockedInvitation, userId: string, ip?: string): Promise<string> {
	const inserted = await tx.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, $3) on conflict do nothing`, [
		invite.workspaceId,
		userId,
		invite.role
	]);
	if (inserted.rowCount === 0) throw new AccountError('already_member');
	await tx.query(`update invitations set accepted_at = now(), accepted_by = $2 where id = $1`, [invite.id, userId]);
	await tx.query(`update users set last_workspace_id = $2 where id = $1`, [userId, invite.workspaceId]);
	await audit(tx, { workspaceId: invite.workspaceId, actorId: userId, action: 'member.joined', targetType: 'user', targetId: userId, ip, meta: { role: invite.role, invitation: invite.id } });
	return invite.workspaceId;
}

/**
 * Accepts an invitation for a signed-in user; returns the workspace joined. An invitation bound to
 * an address is for the account with that address, once the address is verified.
 */
export async function acceptInvitation(pool: Pool, token: string, user: Pick<User, 'id'> & Partial<User>, ip?: string): Promise<string> {
	return transaction(pool, async (tx) => {
		const invite = await lockInvitation(tx, { token });
		if (!invite) throw new AccountError('invitation_invalid');
		if (invite.email) {
			const { rows } = await tx.query(`select email, email_verified_at from users where id = $1`, [user.id]);
			if (!rows[0] || rows[0].email.toLowerCase() !== invite.email.toLowerCase()) throw new AccountError('invitation_email_mismatch');
			if (!rows[0].email_verified_at) throw new AccountError('email_unverified');
		}
		return joinByInvitation(tx, invite, user.id, ip);
	});
}

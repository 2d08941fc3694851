import { z } from 'zod';
import { randomToken, sha256Hex } from './crypto.ts';
import { isUniqueViolation, transaction, type Pool, type Queryable } from './db.ts';
import { hashPassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, verifyDecoy, verifyPassword } from './auth/password.ts';
import { audit } from './audit.ts';
import { loginSucceeded } from './auth/throttle.ts';
import { AccessDenied, type Role, type WorkspaceScope } from './scope.ts';

/** A domain error a form or API can show the user, with a typed reason and the field it concerns. */
export class AccountError extends Error {
	readonly reason: 'email_taken' | 'invalid_credentials' | 'invite_invalid' | 'last_owner' | 'not_allowed' | 'already_member';
	readonly field?: string;
	constructor(reason: AccountError['reason'], field?: string) {
		super(reason);
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
	locale: locale.default('en')
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

/** Creates a user, their workspace and their owner membership in one transaction. */
export async function signUp(pool: Pool, raw: SignupInput, ip?: string): Promise<{ user: User; workspaceId: string }> {
	const input = signupInput.parse(raw);
	const passwordHash = await hashPassword(input.password);
	try {
		return await transaction(pool, async (tx) => {
			const { rows } = await tx.query(
				`insert into users (email, name, password_hash, locale) values ($1, $2, $3, $4) returning id`,
				[input.email, input.name, passwordHash, input.locale]
			);
			const userId: string = rows[0].id;
			const workspaceName = input.workspaceName ?? (input.locale === 'th' ? `ร้านของ ${input.name}` : `${input.name}'s shop`);
			const ws = await tx.query(`insert into workspaces (name) values ($1) returning id`, [workspaceName.slice(0, 120)]);
			const workspaceId: string = ws.rows[0].id;
			await tx.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, 'owner')`, [workspaceId, userId]);
			await audit(tx, { workspaceId, actorId: userId, action: 'auth.signup', targetType: 'user', targetId: userId, ip });
			return { user: { id: userId, email: input.email, name: input.name, locale: input.locale }, workspaceId };
		});
	} catch (error) {
		if (isUniqueViolation(error, 'users_email_key')) throw new AccountError('email_taken', 'email');
		throw error;
	}
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
}

export async function removeMember(pool: Pool, scope: WorkspaceScope, targetUserId: string, ip?: string): Promise<void> {
	await transaction(pool, async (tx) => {
		const previous = await guardRoleChange(tx, scope, targetUserId, null);
		await tx.query(`delete from memberships where workspace_id = $1 and user_id = $2`, [scope.workspaceId, targetUserId]);
		await tx.query(`update sessions set workspace_id = null where user_id = $1 and workspace_id = $2`, [targetUserId, scope.workspaceId]);
		await tx.query(`update api_tokens set revoked_at = now() where user_id = $1 and workspace_id = $2 and revoked_at is null`, [targetUserId, scope.workspaceId]);
		await audit(tx, { workspaceId: scope.workspaceId, actorId: scope.userId, action: 'member.removed', targetType: 'user', targetId: targetUserId, ip, meta: { role: previous } });
	});
}

// ---- Invitations -----------------------------------------------------------------------------

export const inviteInput = z.object({
	email: email.optional().or(z.literal('').transform(() => undefined)),
	role: z.enum(['admin', 'agent', 'supervisor'])
});

export interface Invitation {
	id: string;
	email: string | null;
	role: Role;
	expiresAt: Date;
	createdAt: Date;
}

const INVITE_DAYS = 7;

/** Creates an invitation and returns the one-time token for the link (only its hash is kept). */
export async function createInvitation(db: Queryable, scope: WorkspaceScope, raw: z.input<typeof inviteInput>, ip?: string): Promise<{ token: string; invitation: Invitation }> {
	scope.require('manageMembers');
	const input = inviteInput.parse(raw);
	if (input.role === 'admin' && scope.role !== 'owner') throw new AccountError('not_allowed', 'role');
	const token = randomToken(25);
	const { rows } = await db.query(
		`insert into invitations (workspace_id, email, role, token_hash, invited_by, expires_at)
		 values ($1, $2, $3, $4, $5, now() + make_interval(days => $6)) returning id, expires_at, created_at`,
		[scope.workspaceId, input.email ?? null, input.role, sha256Hex(token), scope.userId, INVITE_DAYS]
	);
	await audit(db, { workspaceId: scope.workspaceId, actorId: scope.userId, action: 'member.invited', targetType: 'invitation', targetId: rows[0].id, ip, meta: { role: input.role } });
	return { token, invitation: { id: rows[0].id, email: input.email ?? null, role: input.role, expiresAt: rows[0].expires_at, createdAt: rows[0].created_at } };
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

export async function revokeInvitation(db: Queryable, scope: WorkspaceScope, invitationId: string): Promise<void> {
	scope.require('manageMembers');
	await db.query(`update invitations set revoked_at = now() where id = $1 and workspace_id = $2`, [invitationId, scope.workspaceId]);
}

/** What an invitation link shows before it is accepted; null when it is not usable. */
export async function peekInvitation(db: Queryable, token: string): Promise<{ workspaceName: string; role: Role; email: string | null } | null> {
	const { rows } = await db.query(
		`select w.name, i.role, i.email from invitations i join workspaces w on w.id = i.workspace_id
		  where i.token_hash = $1 and i.accepted_at is null and i.revoked_at is null and i.expires_at > now()`,
		[sha256Hex(token)]
	);
	return rows[0] ? { workspaceName: rows[0].name, role: rows[0].role, email: rows[0].email } : null;
}

/** Accepts an invitation for a signed-in user; returns the workspace joined. */
export async function acceptInvitation(pool: Pool, token: string, user: User, ip?: string): Promise<string> {
	return transaction(pool, async (tx) => {
		const { rows } = await tx.query(
			`select id, workspace_id, role, email from invitations
			  where token_hash = $1 and accepted_at is null and revoked_at is null and expires_at > now() for update`,
			[sha256Hex(token)]
		);
		const invite = rows[0];
		if (!invite) throw new AccountError('invite_invalid');
		if (invite.email && invite.email.toLowerCase() !== user.email.toLowerCase()) throw new AccountError('invite_invalid');
		const inserted = await tx.query(
			`insert into memberships (workspace_id, user_id, role) values ($1, $2, $3) on conflict do nothing`,
			[invite.workspace_id, user.id, invite.role]
		);
		if (inserted.rowCount === 0) throw new AccountError('already_member');
		await tx.query(`update invitations set accepted_at = now(), accepted_by = $2 where id = $1`, [invite.id, user.id]);
		await audit(tx, { workspaceId: invite.workspace_id, actorId: user.id, action: 'member.joined', targetType: 'user', targetId: user.id, ip, meta: { role: invite.role } });
		return invite.workspace_id as string;
	});
}

import type { Queryable } from './db.ts';
import type { Principal } from './auth/principal.ts';
import { DomainError } from './errors.ts';

/**
 * Every access decision about a workspace is made here, and every read or write of workspace data
 * takes the WorkspaceScope this returns. A route cannot reach workspace data without one, and the
 * data functions add `workspace_id = scope.workspaceId` themselves.
 */

export const ROLES = ['owner', 'admin', 'agent', 'supervisor'] as const;
export type Role = (typeof ROLES)[number];

export const PERMISSIONS = {
	/** See conversations, messages, notes, orders, dashboards. */
	read: ['owner', 'admin', 'agent', 'supervisor'],
	/** Reply, assign, change status and labels, co-edit drafts. */
	converse: ['owner', 'admin', 'agent'],
	/** Write internal notes and @mention members: coaching, which supervisors do too. */
	note: ['owner', 'admin', 'agent', 'supervisor'],
	/** Invite and remove members, change roles. */
	manageMembers: ['owner', 'admin'],
	/** Connect and disconnect platforms, canned responses, workspace settings. */
	manageWorkspace: ['owner', 'admin'],
	/** Export and delete the workspace's data. */
	ownWorkspace: ['owner'],
	/** Create personal API tokens for this workspace. */
	useApi: ['owner', 'admin', 'agent', 'supervisor']
} as const satisfies Record<string, readonly Role[]>;

export type Permission = keyof typeof PERMISSIONS;

/** Why access was refused. `not_found` hides whether the workspace exists at all. */
export class AccessDenied extends DomainError<'not_found' | 'forbidden'> {
	readonly reason: 'not_found' | 'forbidden';
	constructor(reason: 'not_found' | 'forbidden', message = reason === 'not_found' ? 'Not found' : 'Your role cannot do this') {
		super(reason === 'not_found' ? 404 : 403, reason, message);
		this.reason = reason;
	}
}

export interface WorkspaceScope {
	readonly workspaceId: string;
	readonly userId: string;
	readonly role: Role;
	readonly principal: Principal;
	can(permission: Permission): boolean;
	/** Throws AccessDenied('forbidden') unless the role has the permission. */
	require(permission: Permission): WorkspaceScope;
}

export function roleCan(role: Role, permission: Permission): boolean {
	return (PERMISSIONS[permission] as readonly Role[]).includes(role);
}

function makeScope(principal: Principal, workspaceId: string, role: Role): WorkspaceScope {
	const scope: WorkspaceScope = {
		workspaceId,
		userId: principal.userId,
		role,
		principal,
		can: (permission) => roleCan(role, permission),
		require(permission) {
			if (!roleCan(role, permission)) throw new AccessDenied('forbidden');
			return scope;
		}
	};
	return Object.freeze(scope);
}

/**
 * The scope of `principal` in `workspaceId`: a member's role there, or AccessDenied('not_found').
 * An API token reaches only the workspace it was made for.
 */
export async function scopeFor(db: Queryable, principal: Principal, workspaceId: string | null | undefined): Promise<WorkspaceScope> {
	if (!workspaceId || !isUuid(workspaceId)) throw new AccessDenied('not_found');
	if (principal.kind === 'api_token' && principal.workspaceId !== workspaceId) throw new AccessDenied('not_found');
	const { rows } = await db.query<{ role: Role }>(
		'select role from memberships where workspace_id = $1 and user_id = $2',
		[workspaceId, principal.userId]
	);
	if (!rows[0]) throw new AccessDenied('not_found');
	return makeScope(principal, workspaceId, rows[0].role);
}

/**
 * `scopeFor` of several principals in one workspace, in one query (the collab server's reconnect
 * storms). A principal that is not a member there, or an API token made for another workspace, is
 * absent.
 */
export async function scopesFor(db: Queryable, principals: Principal[], workspaceId: string): Promise<Map<Principal, WorkspaceScope>> {
	const scopes = new Map<Principal, WorkspaceScope>();
	if (!isUuid(workspaceId)) return scopes;
	const allowed = principals.filter((p) => p.kind !== 'api_token' || p.workspaceId === workspaceId);
	if (!allowed.length) return scopes;
	const { rows } = await db.query<{ user_id: string; role: Role }>(
		'select user_id, role from memberships where workspace_id = $1 and user_id = any($2::uuid[])',
		[workspaceId, [...new Set(allowed.map((p) => p.userId))]]
	);
	const roles = new Map(rows.map((row) => [row.user_id, row.role]));
	for (const principal of allowed) {
		const role = roles.get(principal.userId);
		if (role) scopes.set(principal, makeScope(principal, workspaceId, role));
	}
	return scopes;
}

/**
 * The workspace a principal works in when none is named: its token's, its session's, else the one
 * its user last opened (users.last_workspace_id), else its oldest membership.
 */
export async function defaultScope(db: Queryable, principal: Principal): Promise<WorkspaceScope | null> {
	if (principal.workspaceId) {
		try {
			return await scopeFor(db, principal, principal.workspaceId);
		} catch (error) {
			if (!(error instanceof AccessDenied) || principal.kind === 'api_token') throw error;
		}
	}
	const { rows } = await db.query<{ workspace_id: string; role: Role }>(
		`select m.workspace_id, m.role from memberships m join users u on u.id = m.user_id
		  where m.user_id = $1 order by m.workspace_id = u.last_workspace_id desc nulls last, m.created_at limit 1`,
		[principal.userId]
	);
	return rows[0] ? makeScope(principal, rows[0].workspace_id, rows[0].role) : null;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export function isUuid(value: string): boolean {
	return UUID.test(value);
}

import { z } from 'zod';
import { isUniqueViolation, type Queryable } from './db.ts';
import { AccessDenied, isUuid, type WorkspaceScope } from './scope.ts';
import { DomainError } from './errors.ts';

/**
 * Canned responses: short texts agents insert into the reply box by typing `/shortcut`. Everyone
 * who reads the workspace may use them; owners and admins manage them.
 */

export const cannedInput = z.object({
	shortcut: z
		.string()
		.trim()
		.toLowerCase()
		.regex(/^[a-z0-9_-]{1,32}$/),
	body: z.string().trim().min(1).max(5000)
});
export type CannedInput = z.input<typeof cannedInput>;

export interface CannedResponse {
	id: string;
	shortcut: string;
	body: string;
	createdAt: string;
}

export class CannedError extends DomainError<'shortcut_taken'> {
	readonly reason: 'shortcut_taken';
	constructor(reason: 'shortcut_taken') {
		super(409, reason, 'This shortcut is already used');
		this.name = 'CannedError';
		this.reason = reason;
	}
}

function toView(r: Record<string, any>): CannedResponse {
	return { id: r.id, shortcut: r.shortcut, body: r.body, createdAt: (r.created_at as Date).toISOString() };
}

export async function listCanned(db: Queryable, scope: WorkspaceScope): Promise<CannedResponse[]> {
	scope.require('read');
	const { rows } = await db.query(`select id, shortcut, body, created_at from canned_responses where workspace_id = $1 order by shortcut limit 500`, [
		scope.workspaceId
	]);
	return rows.map(toView);
}

export async function createCanned(db: Queryable, scope: WorkspaceScope, raw: CannedInput): Promise<CannedResponse> {
	scope.require('manageWorkspace');
	const input = cannedInput.parse(raw);
	try {
		const { rows } = await db.query(
			`insert into canned_responses (workspace_id, shortcut, body, created_by) values ($1, $2, $3, $4) returning id, shortcut, body, created_at`,
			[scope.workspaceId, input.shortcut, input.body, scope.userId]
		);
		return toView(rows[0]);
	} catch (error) {
		if (isUniqueViolation(error)) throw new CannedError('shortcut_taken');
		throw error;
	}
}

export async function updateCanned(db: Queryable, scope: WorkspaceScope, id: string, raw: CannedInput): Promise<CannedResponse> {
	scope.require('manageWorkspace');
	if (!isUuid(id)) throw new AccessDenied('not_found');
	const input = cannedInput.parse(raw);
	try {
		const { rows } = await db.query(
			`update canned_responses set shortcut = $3, body = $4 where id = $1 and workspace_id = $2 returning id, shortcut, body, created_at`,
			[id, scope.workspaceId, input.shortcut, input.body]
		);
		if (!rows[0]) throw new AccessDenied('not_found');
		return toView(rows[0]);
	} catch (error) {
		if (isUniqueViolation(error)) throw new CannedError('shortcut_taken');
		throw error;
	}
}

export async function deleteCanned(db: Queryable, scope: WorkspaceScope, id: string): Promise<void> {
	scope.require('manageWorkspace');
	if (!isUuid(id)) throw new AccessDenied('not_found');
	const { rowCount } = await db.query(`delete from canned_responses where id = $1 and workspace_id = $2`, [id, scope.workspaceId]);
	if (!rowCount) throw new AccessDenied('not_found');
}

import type { Queryable } from '../src/lib/server/db.ts';
import type { Principal } from '../src/lib/server/auth/principal.ts';
import { sessionsById } from '../src/lib/server/auth/session.ts';
import { AccessDenied, scopesFor, type WorkspaceScope } from '../src/lib/server/scope.ts';
import { batched } from './batch.ts';

/**
 * The questions `Auth` asks for a new connection, grouped with those of the other connections
 * authenticating within a few ms (collab/batch.ts): a reconnect storm of a
 * thousand sockets costs a few queries per hundred sockets, not three per socket. Same answers as
 * `authenticate()` (for collab tickets), `scopeFor()` and the conversation lookup of `decideAccess`.
 */
/**
 * How long a lookup waits for others to join it, in ms: sockets of a storm arrive a few ms apart,
 * and a lone connection barely notices.
 */
const WAIT_MS = 3;
const options = { waitMs: WAIT_MS };

export class AuthLookups {
	/** The principal of a collab ticket's session, or undefined when it is gone or expired. */
	readonly session: (sessionId: string) => Promise<Principal | undefined>;
	/** The workspace of a conversation, or undefined when there is none. */
	readonly conversationWorkspace: (conversationId: string) => Promise<string | undefined>;
	private readonly scopes: (key: string) => Promise<WorkspaceScope | undefined>;
	private readonly asked = new Map<string, { principal: Principal; workspaceId: string }>();

	constructor(db: Queryable) {
		this.session = batched(async (ids: string[]) => {
			const sessions = await sessionsById(db, ids);
			return new Map(
				[...sessions].map(([id, { session, user }]) => [
					id,
					{ kind: 'session', userId: user.id, email: user.email, name: user.name, locale: user.locale, credentialId: session.id, workspaceId: session.workspaceId } satisfies Principal
				])
			);
		}, options);
		this.conversationWorkspace = batched(async (ids: string[]) => {
			const { rows } = await db.query<{ id: string; workspace_id: string }>('select id, workspace_id from conversations where id = any($1::uuid[])', [ids]);
			return new Map(rows.map((row) => [row.id, row.workspace_id]));
		}, options);
		this.scopes = batched(async (keys: string[]) => {
			const byWorkspace = new Map<string, Map<string, Principal>>();
			for (const key of keys) {
				const { principal, workspaceId } = this.asked.get(key)!;
				this.asked.delete(key);
				let group = byWorkspace.get(workspaceId);
				if (!group) byWorkspace.set(workspaceId, (group = new Map()));
				group.set(key, principal);
			}
			const answers = new Map<string, WorkspaceScope>();
			await Promise.all(
				[...byWorkspace].map(async ([workspaceId, group]) => {
					const scopes = await scopesFor(db, [...group.values()], workspaceId);
					for (const [key, principal] of group) {
						const scope = scopes.get(principal);
						if (scope) answers.set(key, scope);
					}
				})
			);
			return answers;
		}, options);
	}

	/** `scopeFor(principal, workspaceId)`: throws AccessDenied('not_found') for a non-member. */
	async scope(principal: Principal, workspaceId: string): Promise<WorkspaceScope> {
		const key = `${principal.kind}:${principal.credentialId}:${principal.userId}:${workspaceId}`;
		if (!this.asked.has(key)) this.asked.set(key, { principal, workspaceId });
		const scope = await this.scopes(key);
		if (!scope) throw new AccessDenied('not_found');
		return scope;
	}
}

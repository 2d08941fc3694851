import type { Extension, onAuthenticatePayload } from '@hocuspocus/server';
import type { Queryable } from '../../src/lib/server/db.ts';
import { authenticate, type Principal } from '../../src/lib/server/auth/principal.ts';
import { scopeFor } from '../../src/lib/server/scope.ts';
import { refusedWith } from '../../src/lib/server/errors.ts';
import { colorFor, parseConversationDocName } from '../../src/lib/conversation-doc.ts';
import { logger } from '../../src/lib/server/log.ts';
import type { AgentContext, FeedContext } from '../context.ts';
import { parseWorkspaceFeedName } from '../../src/lib/live-feed.ts';
import { decideFeedAccess } from '../feed.ts';
import type { AccessCache } from '../access-cache.ts';
import { AuthLookups } from '../auth-lookups.ts';
import { COLLAB_TICKET_PREFIX, readCollabTicket } from '../../src/lib/server/auth/collab-ticket.ts';

const log = logger('collab');

/** Why a connection was refused; `reason` goes to the provider's onAuthenticationFailed. */
export class CollabDenied extends Error {
	readonly reason: 'unauthenticated' | 'not-found' | 'forbidden';
	constructor(reason: 'unauthenticated' | 'not-found' | 'forbidden') {
		super(`collab access denied: ${reason}`);
		this.reason = reason;
	}
}

export interface AuthConfiguration {
	db: Queryable;
	/** The key collab tickets are signed with (src/lib/server/auth/collab-ticket.ts). */
	ticketSecret?: Uint8Array;
	/** Short-lived answers shared by the sockets of a reconnect storm. @default none: every socket asks PostgreSQL */
	cache?: AccessCache;
}

/** A storm's shared answers (access-cache.ts) and grouped queries (auth-lookups.ts). */
export interface SharedLookups {
	cache: AccessCache;
	lookups: AuthLookups;
}

/** What a principal may do on one conversation's document. */
export interface Access {
	/** The connection's context (every later hook reads it). */
	context: AgentContext;
	/** Hocuspocus drops the connection's document updates when true. */
	readOnly: boolean;
}

/**
 * The one decision behind a new connection (`Auth.onAuthenticate`) and the re-check of an open
 * one after an access change (collab/access.ts): the conversation must exist and the principal be
 * a member of its workspace with `read`; without `converse` the connection is read-only. Throws
 * `CollabDenied`. With a cache (new connections only; a re-check always reads PostgreSQL) the
 * conversation's workspace and the scope may come from it.
 */
export async function decideAccess(db: Queryable, principal: Principal, conversationId: string, shared?: SharedLookups): Promise<Access> {
	const workspaceOf = async () => {
		if (shared) return (await shared.lookups.conversationWorkspace(conversationId)) ?? null;
		const { rows } = await db.query<{ workspace_id: string }>('select workspace_id from conversations where id = $1', [conversationId]);
		return rows[0]?.workspace_id ?? null;
	};
	const workspaceId = await (shared ? shared.cache.conversationWorkspace(conversationId, workspaceOf) : workspaceOf());
	if (!workspaceId) throw new CollabDenied('not-found');
	let scope;
	try {
		scope = await (shared
			? shared.cache.scope(principal, workspaceId, () => shared.lookups.scope(principal, workspaceId))
			: scopeFor(db, principal, workspaceId));
	} catch (error) {
		if (refusedWith(error, 'not_found', 'forbidden')) throw new CollabDenied('not-found');
		throw error;
	}
	if (!scope.can('read')) throw new CollabDenied('forbidden');
	return {
		readOnly: !scope.can('converse'),
		context: {
			kind: 'agent',
			principal,
			scope,
			user: { id: principal.userId, name: principal.name, color: colorFor(principal.userId), role: scope.role },
			workspaceId: scope.workspaceId,
			conversationId
		}
	};
}

/**
 * Authenticates every document a socket asks for, before Hocuspocus loads anything: the token goes
 * through the app's one `authenticate()`, the name must be `conversation:<uuid>` of a conversation
 * in a workspace the user belongs to. Supervisors connect read-only. What it returns becomes the
 * connection's AgentContext.
 */
export class Auth implements Extension {
	extensionName = 'chatmai-auth';
	/** Runs before every other onAuthenticate. */
	priority = 2000;
	configuration: AuthConfiguration;
	private readonly shared?: SharedLookups;

	constructor(configuration: AuthConfiguration) {
		this.configuration = configuration;
		if (configuration.cache) this.shared = { cache: configuration.cache, lookups: new AuthLookups(configuration.db) };
	}

	async onAuthenticate(data: onAuthenticatePayload): Promise<AgentContext | FeedContext> {
		const { db, ticketSecret, cache } = this.configuration;
		const conversationId = parseConversationDocName(data.documentName);
		const feedWorkspaceId = conversationId ? null : parseWorkspaceFeedName(data.documentName);
		if (!conversationId && !feedWorkspaceId) throw this.deny('not-found', data.socketId);
		const { shared } = this;
		const load = async () => {
			// A collab ticket's session is read with the other sockets' of this turn.
			const session = shared && ticketSecret && data.token.startsWith(COLLAB_TICKET_PREFIX) ? readCollabTicket(ticketSecret, data.token) : null;
			return session ? ((await shared!.lookups.session(session)) ?? null) : authenticate(db, data.token, { ticketSecret });
		};
		const principal = data.token ? await (cache ? cache.principal(data.token, ticketSecret, load) : load()) : null;
		if (!principal) throw this.deny('unauthenticated', data.socketId);
		if (feedWorkspaceId) return this.authenticateFeed(data, principal, feedWorkspaceId);
		if (!conversationId) throw this.deny('not-found', data.socketId);
		let access: Access;
		try {
			access = await decideAccess(db, principal, conversationId, shared);
		} catch (error) {
			if (error instanceof CollabDenied) throw this.deny(error.reason, data.socketId);
			throw error;
		}
		data.connectionConfig.readOnly = access.readOnly;
		log.debug('connection_authenticated', {
			socket_id: data.socketId,
			user_id: principal.userId,
			conversation_id: conversationId,
			read_only: access.readOnly
		});
		return access.context;
	}

	/** The workspace feed (collab/feed.ts): any member with `read`, always read-only. */
	private async authenticateFeed(data: onAuthenticatePayload, principal: Principal, workspaceId: string): Promise<FeedContext> {
		data.connectionConfig.readOnly = true;
		try {
			return await decideFeedAccess(this.configuration.db, principal, workspaceId, this.shared);
		} catch (error) {
			if (error instanceof CollabDenied) throw this.deny(error.reason, data.socketId);
			throw error;
		}
	}

	private deny(reason: CollabDenied['reason'], socketId: string): CollabDenied {
		log.warn('connection_denied', { socket_id: socketId, reason });
		return new CollabDenied(reason);
	}
}

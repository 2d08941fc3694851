import type { Extension, onAuthenticatePayload } from '@hocuspocus/server';
import type { Queryable } from '../../src/lib/server/db.ts';
import { authenticate } from '../../src/lib/server/auth/principal.ts';
import { AccessDenied, scopeFor } from '../../src/lib/server/scope.ts';
import { colorFor, parseConversationDocName } from '../../src/lib/conversation-doc.ts';
import { logger } from '../../src/lib/server/log.ts';
import type { AgentContext } from '../context.ts';

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

	constructor(configuration: AuthConfiguration) {
		this.configuration = configuration;
	}

	async onAuthenticate(data: onAuthenticatePayload): Promise<AgentContext> {
		const { db } = this.configuration;
		const conversationId = parseConversationDocName(data.documentName);
		if (!conversationId) throw this.deny('not-found', data.socketId);
		const principal = await authenticate(db, data.token, { ticketSecret: this.configuration.ticketSecret });
		if (!principal) throw this.deny('unauthenticated', data.socketId);
		const { rows } = await db.query<{ workspace_id: string }>('select workspace_id from conversations where id = $1', [conversationId]);
		if (!rows[0]) throw this.deny('not-found', data.socketId);
		let scope;
		try {
			scope = await scopeFor(db, principal, rows[0].workspace_id);
		} catch (error) {
			if (error instanceof AccessDenied) throw this.deny('not-found', data.socketId);
			throw error;
		}
		if (!scope.can('read')) throw this.deny('forbidden', data.socketId);
		data.connectionConfig.readOnly = !scope.can('converse');
		log.debug('connection_authenticated', {
			socket_id: data.socketId,
			user_id: principal.userId,
			conversation_id: conversationId,
			read_only: data.connectionConfig.readOnly
		});
		return {
			kind: 'agent',
			principal,
			scope,
			user: { id: principal.userId, name: principal.name, color: colorFor(principal.userId), role: scope.role },
			workspaceId: scope.workspaceId,
			conversationId
		};
	}

	private deny(reason: CollabDenied['reason'], socketId: string): CollabDenied {
		log.warn('connection_denied', { socket_id: socketId, reason });
		return new CollabDenied(reason);
	}
}

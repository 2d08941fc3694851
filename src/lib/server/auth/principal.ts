import type { Queryable } from '../db.ts';
import { apiTokenById, isApiToken, validateApiToken } from './api-tokens.ts';
import { sessionById, validateSession, type SessionOptions } from './session.ts';
import { COLLAB_TICKET_PREFIX, readCollabTicket } from './collab-ticket.ts';

/** Who is asking: a signed-in user through a session, or a script through an API token. */
export interface Principal {
	kind: 'session' | 'api_token';
	userId: string;
	email: string;
	name: string;
	locale: 'en' | 'th';
	/** The session id or API token id. */
	credentialId: string;
	/** The workspace the credential is bound to (API tokens) or last switched to (sessions). */
	workspaceId: string | null;
	/** Sessions only: the new expiry when it slid, so the cookie can be re-sent. */
	refreshedUntil?: Date;
}

/**
 * The one authentication function behind hooks.server.ts, the REST API and the collab server:
 * any bearer credential in, a principal or null out.
 */
export interface AuthenticateOptions extends SessionOptions {
	/** The key collab tickets are signed with; tickets are refused without it (everywhere but collab). */
	ticketSecret?: Uint8Array;
}

export async function authenticate(db: Queryable, token: string | null | undefined, options: AuthenticateOptions = {}): Promise<Principal | null> {
	if (!token) return null;
	if (token.startsWith(COLLAB_TICKET_PREFIX)) {
		const sessionId = options.ticketSecret ? readCollabTicket(options.ticketSecret, token) : null;
		const result = sessionId ? await sessionById(db, sessionId) : null;
		return result
			? { kind: 'session', userId: result.user.id, email: result.user.email, name: result.user.name, locale: result.user.locale, credentialId: result.session.id, workspaceId: result.session.workspaceId }
			: null;
	}
	if (isApiToken(token)) {
		const owner = await validateApiToken(db, token);
		return owner
			? { kind: 'api_token', userId: owner.userId, email: owner.email, name: owner.name, locale: owner.locale, credentialId: owner.tokenId, workspaceId: owner.workspaceId }
			: null;
	}
	const result = await validateSession(db, token, options);
	if (!result) return null;
	return {
		kind: 'session',
		userId: result.user.id,
		email: result.user.email,
		name: result.user.name,
		locale: result.user.locale,
		credentialId: result.session.id,
		workspaceId: result.session.workspaceId,
		refreshedUntil: result.refreshed ? result.session.expiresAt : undefined
	};
}

/**
 * Checks again, by its id, the credential a principal was authenticated with earlier (an open
 * live document connection, after an access change): the principal as it stands now, or null when
 * the session or API token is gone. A collab ticket is not re-read (it lives 5 minutes); the
 * session it named is.
 */
export async function reauthenticate(db: Queryable, principal: Principal): Promise<Principal | null> {
	if (principal.kind === 'api_token') {
		const owner = await apiTokenById(db, principal.credentialId);
		return owner && owner.userId === principal.userId
			? { kind: 'api_token', userId: owner.userId, email: owner.email, name: owner.name, locale: owner.locale, credentialId: owner.tokenId, workspaceId: owner.workspaceId }
			: null;
	}
	const result = await sessionById(db, principal.credentialId);
	return result && result.user.id === principal.userId
		? { kind: 'session', userId: result.user.id, email: result.user.email, name: result.user.name, locale: result.user.locale, credentialId: result.session.id, workspaceId: result.session.workspaceId }
		: null;
}

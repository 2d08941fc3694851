import type { Queryable } from '../db.ts';
import { isApiToken, validateApiToken } from './api-tokens.ts';
import { validateSession, type SessionOptions } from './session.ts';

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
export async function authenticate(db: Queryable, token: string | null | undefined, options: SessionOptions = {}): Promise<Principal | null> {
	if (!token) return null;
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

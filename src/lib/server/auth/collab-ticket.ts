import { createHmac } from 'node:crypto';
import { safeEqual } from '../crypto.ts';

/**
 * Collab tickets: what a browser page hands the collab WebSocket instead of the session token,
 * which stays in its HttpOnly cookie. A ticket names the session, lasts minutes, is signed with a
 * key only the server holds, and is good for the collab server alone. It dies with its session:
 * every use re-checks the session, so logging out ends it too.
 *
 * Form: `ct_<base64url {"s": sessionId, "e": expiresAtSeconds}>.<base64url HMAC-SHA256>`.
 */
export const COLLAB_TICKET_PREFIX = 'ct_';

/** @default 300 seconds: the provider asks for a new one on every (re)connect. */
export const COLLAB_TICKET_SECONDS = 300;

function mac(secret: Uint8Array, payload: string): string {
	return createHmac('sha256', secret).update(payload).digest('base64url');
}

export function issueCollabTicket(secret: Uint8Array, sessionId: string, now = Date.now()): { ticket: string; expiresAt: Date } {
	const expiresAt = new Date(now + COLLAB_TICKET_SECONDS * 1000);
	const payload = Buffer.from(JSON.stringify({ s: sessionId, e: Math.floor(expiresAt.getTime() / 1000) })).toString('base64url');
	return { ticket: `${COLLAB_TICKET_PREFIX}${payload}.${mac(secret, payload)}`, expiresAt };
}

/** The session a ticket names, or null when it is forged, malformed or expired. */
export function readCollabTicket(secret: Uint8Array, ticket: string, now = Date.now()): string | null {
	if (!ticket.startsWith(COLLAB_TICKET_PREFIX) || ticket.length > 400) return null;
	const [payload, signature] = ticket.slice(COLLAB_TICKET_PREFIX.length).split('.');
	if (!payload || !signature || !safeEqual(signature, mac(secret, payload))) return null;
	try {
		const { s, e } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
		return typeof s === 'string' && typeof e === 'number' && e * 1000 > now ? s : null;
	} catch {
		return null;
	}
}

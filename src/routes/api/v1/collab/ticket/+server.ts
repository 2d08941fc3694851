import { api, ApiError, requirePrincipal } from '$lib/server/http/api';
import { issueCollabTicket } from '$lib/server/auth/collab-ticket';
import { services } from '$lib/server/services';

/**
 * A short-lived ticket for the collab WebSocket, so that the page never holds the session token
 * (it stays in the HttpOnly cookie). Scripts with an API token connect with that token instead.
 */
export const POST = api(async (event) => {
	const principal = requirePrincipal(event);
	if (principal.kind !== 'session') throw new ApiError(400, 'session_required', 'Collab tickets are for signed-in browsers; connect with your API token');
	const { ticket, expiresAt } = issueCollabTicket(services().keyRing.deriveKey('collab-ticket'), principal.credentialId);
	return { ticket, expiresAt };
});

import type { Principal } from '$lib/server/auth/principal';

declare global {
	namespace App {
		interface Error {
			message: string;
			/** A stable code the client can act on (e.g. 'unauthenticated', 'database_unavailable'). */
			code?: string;
		}
		interface Locals {
			/** Who is asking, from the session cookie or a bearer token; null when anonymous. */
			principal: Principal | null;
			/** How the credential arrived; cookie-authenticated writes get a CSRF check. */
			credentialVia: 'header' | 'cookie' | null;
			locale: 'en' | 'th';
		}
		interface Platform {
			req?: import('node:http').IncomingMessage;
		}
	}
}

export {};

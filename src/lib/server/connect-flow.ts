import type { Platform } from './env.ts';
import { PLATFORM_NAMES } from './connections.ts';

/** The platform names as a route parameter may spell them. */
export function isPlatform(value: string): value is Platform {
	return (PLATFORM_NAMES as readonly string[]).includes(value);
}

/**
 * Where a platform's authorization page sends the seller back: one fixed address per platform (what
 * is registered in the app's console), the workspace travels in the signed state.
 */
export function authorizationRedirectUri(origin: string, platform: Platform): string {
	return `${origin.replace(/\/$/, '')}/connect/${platform}/callback`;
}

/** Why an authorization callback stored nothing; each has a sentence in English and Thai (connect.problem.*). */
export const CALLBACK_PROBLEMS = ['state', 'denied', 'refused', 'unreachable', 'taken', 'forbidden', 'not_configured'] as const;
export type CallbackProblem = (typeof CALLBACK_PROBLEMS)[number];

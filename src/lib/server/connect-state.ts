import { createHmac, randomBytes } from 'node:crypto';
import type { KeyRing } from './crypto.ts';
import { safeEqual } from './crypto.ts';
import type { Platform } from './env.ts';

/**
 * The `state` of a platform authorization: who started it (user and workspace), for which platform,
 * until when. Signed with a key derived from the master key, so the callback can trust it without a
 * table, and bound to the user, so a link made for one person cannot connect an account in another's
 * workspace (CSRF).
 */

/** How long the seller has to finish on the platform's page. */
export const CONNECT_STATE_TTL_MS = 15 * 60_000;

export interface ConnectState {
	userId: string;
	workspaceId: string;
	platform: Platform;
	/** Milliseconds since the epoch. */
	expiresAt: number;
}

export type StateProblem = 'malformed' | 'bad_signature' | 'expired' | 'other_user' | 'other_platform';

function sign(keyRing: KeyRing, payload: string): string {
	return createHmac('sha256', keyRing.deriveKey('connect-state')).update(payload).digest('base64url');
}

export function createConnectState(keyRing: KeyRing, state: Omit<ConnectState, 'expiresAt'>, now = Date.now()): string {
	const payload = Buffer.from(
		JSON.stringify({ u: state.userId, w: state.workspaceId, p: state.platform, e: now + CONNECT_STATE_TTL_MS, n: randomBytes(8).toString('base64url') })
	).toString('base64url');
	return `${payload}.${sign(keyRing, payload)}`;
}

/** The state's content when it is ours, unexpired, for this user and platform; otherwise what is wrong with it. */
export function readConnectState(
	keyRing: KeyRing,
	value: string | null,
	expect: { userId: string; platform: Platform },
	now = Date.now()
): { ok: true; state: ConnectState } | { ok: false; problem: StateProblem } {
	const [payload, signature, extra] = (value ?? '').split('.');
	if (!payload || !signature || extra !== undefined) return { ok: false, problem: 'malformed' };
	if (!safeEqual(signature, sign(keyRing, payload))) return { ok: false, problem: 'bad_signature' };
	let data: { u?: unknown; w?: unknown; p?: unknown; e?: unknown };
	try {
		data = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
	} catch {
		return { ok: false, problem: 'malformed' };
	}
	if (typeof data.u !== 'string' || typeof data.w !== 'string' || typeof data.p !== 'string' || typeof data.e !== 'number') return { ok: false, problem: 'malformed' };
	if (data.e < now) return { ok: false, problem: 'expired' };
	if (data.u !== expect.userId) return { ok: false, problem: 'other_user' };
	if (data.p !== expect.platform) return { ok: false, problem: 'other_platform' };
	return { ok: true, state: { userId: data.u, workspaceId: data.w, platform: data.p as Platform, expiresAt: data.e } };
}

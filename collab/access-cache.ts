import { createHash } from 'node:crypto';
import type { Principal } from '../src/lib/server/auth/principal.ts';
import type { WorkspaceScope } from '../src/lib/server/scope.ts';
import type { AccessChange } from '../src/lib/server/ports.ts';
import { COLLAB_TICKET_PREFIX, readCollabTicket } from '../src/lib/server/auth/collab-ticket.ts';

export interface AccessCacheConfiguration {
	/**
	 * How long an answer is reused, in ms. Access changes drop the answers they concern at once
	 * (`invalidate`), so this only bounds what no change announces (a session reaching its expiry,
	 * a conversation deleted). 0 turns the cache off. @default 5000
	 */
	ttlMs?: number;
	/** Answers kept at most; the oldest are dropped first. @default 50000 */
	maxEntries?: number;
}

interface Entry<T> {
	value: Promise<T>;
	expires: number;
	/** Whether the answer is in; an answer still pending matches every change. */
	settled: boolean;
	userId?: string;
	workspaceId?: string;
}

/**
 * Short-lived answers for `Auth.onAuthenticate`, so a reconnect storm does not ask PostgreSQL the
 * same questions once per socket: who a credential is (a collab ticket is read by the session it
 * names, so every ticket of one session shares an answer), which workspace a conversation is in,
 * and a credential's scope in a workspace. Concurrent lookups of one key share one query.
 *
 * `AccessWatch` calls `invalidate` for every access change, local or received through Redis,
 * before it re-checks the open connections, so a revoked credential or membership is never let in
 * again from here; the re-checks themselves bypass the cache.
 */
export class AccessCache {
	private readonly ttlMs: number;
	private readonly maxEntries: number;
	private readonly principals = new Map<string, Entry<Principal | null>>();
	private readonly conversations = new Map<string, Entry<string | null>>();
	private readonly scopes = new Map<string, Entry<WorkspaceScope>>();
	/** Lookups the cache answered / passed to PostgreSQL (bench figures). */
	readonly stats = { hits: 0, misses: 0 };

	constructor(configuration: AccessCacheConfiguration = {}) {
		this.ttlMs = configuration.ttlMs ?? 5000;
		this.maxEntries = configuration.maxEntries ?? 50_000;
	}

	/** The principal behind a token; `load` runs `authenticate()` on a miss. */
	principal(token: string, ticketSecret: Uint8Array | undefined, load: () => Promise<Principal | null>): Promise<Principal | null> {
		const session = token.startsWith(COLLAB_TICKET_PREFIX) && ticketSecret ? readCollabTicket(ticketSecret, token) : null;
		// A forged or expired ticket is refused by `load` every time; it is never cached.
		if (token.startsWith(COLLAB_TICKET_PREFIX) && !session) return load();
		const key = session ? `s:${session}` : `t:${createHash('sha256').update(token).digest('base64url')}`;
		return this.lookup(this.principals, key, load, (p) => ({ userId: p?.userId }));
	}

	/** The workspace a conversation belongs to, or null when there is none. */
	conversationWorkspace(conversationId: string, load: () => Promise<string | null>): Promise<string | null> {
		return this.lookup(this.conversations, conversationId, load, (workspaceId) => ({ workspaceId: workspaceId ?? undefined }));
	}

	/** A credential's scope in a workspace; a denial (thrown) is not cached. */
	scope(principal: Principal, workspaceId: string, load: () => Promise<WorkspaceScope>): Promise<WorkspaceScope> {
		return this.lookup(this.scopes, `${principal.kind}:${principal.credentialId}:${workspaceId}`, load, () => ({ userId: principal.userId, workspaceId }));
	}

	/** Drops every answer the change may concern, and every answer still pending. */
	invalidate(change: AccessChange): void {
		for (const map of [this.principals, this.conversations, this.scopes] as Map<string, Entry<unknown>>[]) {
			for (const [key, entry] of map) {
				const concerned = change.type === 'user' ? entry.userId === change.userId : entry.workspaceId === change.workspaceId;
				if (!entry.settled || concerned) map.delete(key);
			}
		}
	}

	private lookup<T>(map: Map<string, Entry<T>>, key: string, load: () => Promise<T>, describe: (value: T) => { userId?: string; workspaceId?: string }): Promise<T> {
		if (this.ttlMs <= 0) return load();
		const now = Date.now();
		const cached = map.get(key);
		if (cached && cached.expires > now) {
			this.stats.hits++;
			return cached.value;
		}
		this.stats.misses++;
		const value = load();
		const entry: Entry<T> = { value, expires: now + this.ttlMs, settled: false };
		map.delete(key);
		map.set(key, entry);
		if (map.size > this.maxEntries) map.delete(map.keys().next().value!);
		value.then(
			(result) => {
				// Only if no change dropped it meanwhile: a pending answer may predate the change.
				if (map.get(key) === entry) Object.assign(entry, describe(result), { settled: true });
			},
			() => {
				if (map.get(key) === entry) map.delete(key);
			}
		);
		return value;
	}
}

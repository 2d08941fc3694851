import type { Connection, Extension, Hocuspocus, connectedPayload } from '@hocuspocus/server';
import { Redis as IORedis } from 'ioredis';
import type { Queryable } from '../src/lib/server/db.ts';
import type { AccessChange, AccessChanges } from '../src/lib/server/ports.ts';
import { reauthenticate } from '../src/lib/server/auth/principal.ts';
import { errorMessage, logger } from '../src/lib/server/log.ts';
import { CollabDenied, decideAccess } from './extensions/auth.ts';
import { decideFeedAccess } from './feed.ts';
import type { CollabContext, MemberContext } from './context.ts';
import type { AccessCache } from './access-cache.ts';

const log = logger('collab');

export interface AccessWatchConfiguration {
	db: Queryable;
	/** When set, changes are published to and received from the other instances through Redis. */
	redisUrl?: string;
	/** Channel prefix; instances that share documents must share it. @default 'chatmai-collab' */
	redisPrefix?: string;
	/**
	 * A second re-check this long after the first, for a change announced from inside a
	 * transaction that had not committed yet when the first one read. @default 250
	 */
	settleMs?: number;
	/** Auth's answers: every change drops those it concerns before anything is re-checked. */
	cache?: AccessCache;
}

/** Sent to the provider with the document's close message. */
const REVOKED = { code: 4403, reason: 'access-revoked' };
/** How long changes are remembered for connections still authenticating when they arrive. */
const REMEMBER_MS = 60_000;

interface Remembered {
	sequence: number;
	change: AccessChange;
	at: number;
}

/**
 * The `AccessChanges` port: when someone's access is taken away or changed, every open connection
 * concerned, on every instance, is decided again with the same `decideAccess` that let it in.
 * A session or API token that is gone, or a user no longer a member, closes the connection; a new
 * role is applied in place (read-only for a supervisor, and the context later hooks read: the
 * projection checks `scope` on every edit). With Redis the change is published on
 * `<prefix>:access` and each instance re-checks its own connections.
 *
 * A connection that was still authenticating when a change arrived is re-checked once it is set
 * up (the `connected` hook), so the change cannot slip in between its checks and its start.
 */
export class AccessWatch implements Extension, AccessChanges {
	extensionName = 'chatmai-access-watch';
	private readonly db: Queryable;
	private readonly settleMs: number;
	private readonly cache?: AccessCache;
	private readonly instanceId = crypto.randomUUID();
	private readonly channel: string;
	private hocuspocus?: Hocuspocus;
	private pub?: IORedis;
	private sub?: IORedis;
	private sequence = 0;
	private recent: Remembered[] = [];
	private readonly timers = new Set<ReturnType<typeof setTimeout>>();
	private readonly running = new Set<Promise<void>>();

	constructor(configuration: AccessWatchConfiguration) {
		this.db = configuration.db;
		this.settleMs = configuration.settleMs ?? 250;
		this.cache = configuration.cache;
		this.channel = `${configuration.redisPrefix ?? 'chatmai-collab'}:access`;
		if (configuration.redisUrl) {
			const options = { maxRetriesPerRequest: 3 };
			this.pub = new IORedis(configuration.redisUrl, options);
			this.sub = new IORedis(configuration.redisUrl, options);
			for (const client of [this.pub, this.sub]) client.on('error', (error) => log.warn('access_redis_error', { error: errorMessage(error) }));
			this.sub.on('message', (channel: string, message: string) => this.receive(channel, message));
			this.sub.subscribe(this.channel).catch((error) => log.error('access_subscribe_failed', { error: errorMessage(error) }));
		}
	}

	/** The Hocuspocus instance whose connections are re-checked. */
	attach(hocuspocus: Hocuspocus): void {
		this.hocuspocus = hocuspocus;
	}

	accessChanged(change: AccessChange): void {
		this.handle(change);
		this.pub?.publish(this.channel, JSON.stringify({ from: this.instanceId, change })).catch((error) => {
			log.error('access_publish_failed', { type: change.type, error: errorMessage(error) });
		});
	}

	/** Marks the start of each authentication, to catch changes that arrive while it runs. */
	async onConnect(): Promise<{ accessSequence: number }> {
		return { accessSequence: this.sequence };
	}

	async connected({ connection }: connectedPayload<CollabContext>): Promise<void> {
		const context = connection.context;
		if (!isMember(context) || context.accessSequence === undefined) return;
		const since = context.accessSequence;
		if (this.recent.some((r) => r.sequence > since && concerns(r.change, context))) this.track(this.recheck(connection));
	}

	/** Waits for running re-checks; then leaves Redis. */
	async destroy(): Promise<void> {
		for (const timer of this.timers) clearTimeout(timer);
		this.timers.clear();
		await Promise.allSettled([...this.running]);
		await Promise.allSettled([this.pub?.quit(), this.sub?.quit()]);
	}

	/** Resolves once the re-checks started so far have finished (tests, shutdown). */
	async settled(): Promise<void> {
		await Promise.allSettled([...this.running]);
	}

	private receive(channel: string, message: string): void {
		if (channel !== this.channel) return;
		let parsed: { from?: unknown; change?: AccessChange };
		try {
			parsed = JSON.parse(message);
		} catch {
			return log.warn('access_message_invalid', {});
		}
		if (parsed.from === this.instanceId || !isChange(parsed.change)) return;
		this.handle(parsed.change);
	}

	private handle(change: AccessChange): void {
		this.cache?.invalidate(change);
		const now = Date.now();
		this.recent = this.recent.filter((r) => now - r.at < REMEMBER_MS);
		this.recent.push({ sequence: ++this.sequence, change, at: now });
		this.track(this.recheckAll(change));
		const timer = setTimeout(() => {
			this.timers.delete(timer);
			// Again: an answer cached from a transaction that had not committed at the first drop.
			this.cache?.invalidate(change);
			this.track(this.recheckAll(change));
		}, this.settleMs);
		timer.unref?.();
		this.timers.add(timer);
	}

	private track(promise: Promise<void>): void {
		this.running.add(promise);
		void promise.finally(() => this.running.delete(promise));
	}

	private async recheckAll(change: AccessChange): Promise<void> {
		const connections: Connection<CollabContext>[] = [];
		for (const document of this.hocuspocus?.documents.values() ?? []) {
			for (const connection of document.connections.keys()) {
				const context = connection.context as CollabContext | undefined;
				if (isMember(context) && concerns(change, context)) connections.push(connection);
			}
		}
		await Promise.all(connections.map((connection) => this.recheck(connection)));
	}

	/** Decides one open connection again and applies the answer. */
	private async recheck(connection: Connection<CollabContext>): Promise<void> {
		const context = connection.context as MemberContext;
		let reason: string;
		try {
			const principal = await reauthenticate(this.db, context.principal);
			if (principal) {
				const access =
					context.kind === 'feed'
						? { context: await decideFeedAccess(this.db, principal, context.workspaceId), readOnly: true }
						: await decideAccess(this.db, principal, context.conversationId);
				// In place: the connection and every later hook's payload hold this same object.
				Object.assign(context, access.context);
				if (connection.readOnly !== access.readOnly) {
					log.info('connection_access_changed', { socket_id: connection.socketId, user_id: principal.userId, read_only: access.readOnly });
				}
				connection.readOnly = access.readOnly;
				return;
			}
			reason = 'unauthenticated';
		} catch (error) {
			if (!(error instanceof CollabDenied)) log.error('access_recheck_failed', { socket_id: connection.socketId, error: errorMessage(error) });
			// Unsure is closed: the provider reconnects and authenticates afresh.
			reason = error instanceof CollabDenied ? error.reason : 'recheck-failed';
		}
		if (!connection.document.hasConnection(connection)) return;
		log.info('connection_revoked', { socket_id: connection.socketId, user_id: context.principal.userId, reason });
		connection.close(REVOKED);
		// A socket left with no document is closed too, rather than left to idle out.
		if (!this.socketInUse(connection.webSocket)) connection.webSocket.close(REVOKED.code, REVOKED.reason);
	}

	private socketInUse(webSocket: Connection['webSocket']): boolean {
		for (const document of this.hocuspocus?.documents.values() ?? []) {
			for (const other of document.connections.keys()) if (other.webSocket === webSocket) return true;
		}
		return false;
	}
}

/**
 * The `AccessChanges` port for a process that holds no sockets but changes access (the operator
 * CLI): publishes each change to the instances through Redis. `close()` waits for the publishes.
 */
export function accessPublisher(options: { redisUrl: string; redisPrefix?: string }): AccessChanges & { close(): Promise<void> } {
	const redis = new IORedis(options.redisUrl, { maxRetriesPerRequest: 3 });
	redis.on('error', (error) => log.warn('access_redis_error', { error: errorMessage(error) }));
	const channel = `${options.redisPrefix ?? 'chatmai-collab'}:access`;
	const from = crypto.randomUUID();
	const pending = new Set<Promise<unknown>>();
	return {
		accessChanged(change) {
			const sent = redis.publish(channel, JSON.stringify({ from, change })).catch((error) => {
				log.error('access_publish_failed', { type: change.type, error: errorMessage(error) });
			});
			pending.add(sent);
			void sent.finally(() => pending.delete(sent));
		},
		async close() {
			await Promise.allSettled([...pending]);
			await redis.quit().catch(() => redis.disconnect());
		}
	};
}

function isMember(context: CollabContext | undefined): context is MemberContext {
	return context?.kind === 'agent' || context?.kind === 'feed';
}

function concerns(change: AccessChange, context: MemberContext): boolean {
	return change.type === 'user' ? context.principal.userId === change.userId : context.workspaceId === change.workspaceId;
}

function isChange(value: unknown): value is AccessChange {
	const v = value as Partial<Record<string, unknown>> | null;
	if (!v || typeof v !== 'object') return false;
	return (v.type === 'user' && typeof v.userId === 'string') || (v.type === 'workspace' && typeof v.workspaceId === 'string');
}

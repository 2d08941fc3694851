import type { Extension, Hocuspocus } from '@hocuspocus/server';
import { Redis as IORedis } from 'ioredis';
import type { Queryable } from '../src/lib/server/db.ts';
import type { Principal } from '../src/lib/server/auth/principal.ts';
import type { WorkspaceEvent, WorkspaceFeed } from '../src/lib/server/ports.ts';
import { scopeFor } from '../src/lib/server/scope.ts';
import { refusedWith } from '../src/lib/server/errors.ts';
import { summariesOf } from '../src/lib/server/conversations.ts';
import { colorFor } from '../src/lib/conversation-doc.ts';
import { workspaceFeedName, type FeedMessage } from '../src/lib/live-feed.ts';
import { errorMessage, logger } from '../src/lib/server/log.ts';
import { reportsChanged } from '../src/lib/server/report-freshness.ts';
import { CollabDenied, type SharedLookups } from './extensions/auth.ts';
import type { CollabContext, FeedContext } from './context.ts';

const log = logger('collab');

/**
 * The workspace feed: one `workspace:<uuid>` document per workspace that holds no content and
 * that members subscribe to read-only; what changes in the workspace reaches them as stateless
 * messages on it (see collab/README.md, "The workspace feed").
 *
 * `publish` (the `WorkspaceFeed` port) gathers events for a turn of the event loop, reads the
 * changed list rows once per workspace, and sends each message once through Redis
 * (`<prefix>:feed`); every instance, this one included, hands it to its own connections of that
 * workspace (a notification only to its user's). Without Redis it is handed over directly.
 */
export interface WorkspaceFeedConfiguration {
	db: Queryable;
	redisUrl?: string;
	/** @default 'chatmai-collab' */
	redisPrefix?: string;
	/**
	 * The dashboard is told its figures changed at most this often per workspace, in ms: figures
	 * are wanted within 1 s of the event, and reading them takes a few hundred ms on a busy server.
	 * @default 500
	 */
	reportEveryMs?: number;
}

/**
 * The decision behind a feed connection and its re-check: a member of the workspace with `read`.
 * A new connection passes the storm's shared lookups (collab/extensions/auth.ts), so its scope may
 * come from the access cache; a re-check passes none and reads PostgreSQL.
 */
export async function decideFeedAccess(db: Queryable, principal: Principal, workspaceId: string, shared?: SharedLookups): Promise<FeedContext> {
	let scope;
	try {
		scope = await (shared
			? shared.cache.scope(principal, workspaceId, () => shared.lookups.scope(principal, workspaceId))
			: scopeFor(db, principal, workspaceId));
	} catch (error) {
		if (refusedWith(error, 'not_found', 'forbidden')) throw new CollabDenied('not-found');
		throw error;
	}
	if (!scope.can('read')) throw new CollabDenied('forbidden');
	return {
		kind: 'feed',
		principal,
		scope,
		user: { id: principal.userId, name: principal.name, color: colorFor(principal.userId), role: scope.role },
		workspaceId: scope.workspaceId
	};
}

interface Pending {
	ids: Set<string>;
	users: Set<string>;
	report: boolean;
}

interface Envelope {
	workspaceId: string;
	/** Only this user's connections; every member's when absent. */
	userId?: string;
	/** The dashboard's figures moved: the instance's cached reports of the workspace are stale. */
	report?: true;
	payload: string;
}

export class WorkspaceFeedServer implements Extension, WorkspaceFeed {
	extensionName = 'chatmai-workspace-feed';
	private readonly db: Queryable;
	private readonly channel: string;
	private readonly reportEveryMs: number;
	private hocuspocus?: Hocuspocus;
	private pub?: IORedis;
	private sub?: IORedis;
	private pending = new Map<string, Pending>();
	private scheduled = false;
	private readonly lastReport = new Map<string, number>();
	private readonly reportTimers = new Map<string, ReturnType<typeof setTimeout>>();
	private readonly running = new Set<Promise<void>>();
	private subscribed: Promise<unknown> = Promise.resolve();

	constructor(configuration: WorkspaceFeedConfiguration) {
		this.db = configuration.db;
		this.reportEveryMs = configuration.reportEveryMs ?? 500;
		this.channel = `${configuration.redisPrefix ?? 'chatmai-collab'}:feed`;
		if (configuration.redisUrl) {
			const options = { maxRetriesPerRequest: 3 };
			this.pub = new IORedis(configuration.redisUrl, options);
			this.sub = new IORedis(configuration.redisUrl, options);
			for (const client of [this.pub, this.sub]) client.on('error', (error) => log.warn('feed_redis_error', { error: errorMessage(error) }));
			this.sub.on('message', (channel: string, message: string) => this.receive(channel, message));
			this.subscribed = this.sub.subscribe(this.channel).catch((error) => log.error('feed_subscribe_failed', { error: errorMessage(error) }));
		}
	}

	attach(hocuspocus: Hocuspocus): void {
		this.hocuspocus = hocuspocus;
	}

	/** Resolves once this instance listens on Redis (tests). */
	ready(): Promise<unknown> {
		return this.subscribed;
	}

	publish(workspaceId: string, event: WorkspaceEvent): void {
		let pending = this.pending.get(workspaceId);
		if (!pending) this.pending.set(workspaceId, (pending = { ids: new Set(), users: new Set(), report: false }));
		if (event.type === 'conversation') {
			for (const id of event.ids) pending.ids.add(id);
			pending.report = true;
		} else if (event.type === 'notification') pending.users.add(event.userId);
		else pending.report = true;
		if (this.scheduled) return;
		this.scheduled = true;
		setImmediate(() => {
			this.scheduled = false;
			const batch = this.pending;
			this.pending = new Map();
			this.track(this.flush(batch));
		});
	}

	/** Resolves once what was published so far has been sent (tests, shutdown). */
	async settled(): Promise<void> {
		while (this.scheduled || this.running.size) {
			if (this.scheduled) await new Promise((resolve) => setImmediate(resolve));
			await Promise.allSettled([...this.running]);
		}
	}

	async destroy(): Promise<void> {
		for (const timer of this.reportTimers.values()) clearTimeout(timer);
		this.reportTimers.clear();
		await this.settled();
		await Promise.allSettled([this.pub?.quit(), this.sub?.quit()]);
	}

	private track(promise: Promise<void>): void {
		this.running.add(promise);
		void promise.finally(() => this.running.delete(promise));
	}

	private async flush(batch: Map<string, Pending>): Promise<void> {
		await Promise.all(
			[...batch].map(async ([workspaceId, pending]) => {
				if (pending.ids.size) {
					try {
						const items = await summariesOf(this.db, workspaceId, [...pending.ids]);
						if (items.length) await this.send({ workspaceId, payload: encode({ type: 'conversations', items }) });
					} catch (error) {
						log.error('feed_rows_failed', { workspace_id: workspaceId, conversations: pending.ids.size, error: errorMessage(error) });
					}
				}
				for (const userId of pending.users) await this.send({ workspaceId, userId, payload: encode({ type: 'notification' }) });
				if (pending.report) this.report(workspaceId);
			})
		);
	}

	/** At most one `report` per workspace per `reportEveryMs`; a change inside the wait is told at its end. */
	private report(workspaceId: string): void {
		if (this.reportTimers.has(workspaceId)) return;
		const wait = (this.lastReport.get(workspaceId) ?? 0) + this.reportEveryMs - Date.now();
		const fire = () => {
			this.reportTimers.delete(workspaceId);
			this.lastReport.set(workspaceId, Date.now());
			this.track(this.send({ workspaceId, report: true, payload: encode({ type: 'report' }) }));
		};
		if (wait <= 0) return fire();
		const timer = setTimeout(fire, wait);
		timer.unref?.();
		this.reportTimers.set(workspaceId, timer);
	}

	private async send(envelope: Envelope): Promise<void> {
		if (!this.pub) return this.deliver(envelope);
		try {
			await this.pub.publish(this.channel, JSON.stringify(envelope));
		} catch (error) {
			log.error('feed_publish_failed', { workspace_id: envelope.workspaceId, error: errorMessage(error) });
			// The other instances' browsers catch up when they reconnect; this one's at least hear it.
			this.deliver(envelope);
		}
	}

	private receive(channel: string, message: string): void {
		if (channel !== this.channel) return;
		try {
			const envelope = JSON.parse(message) as Envelope;
			if (typeof envelope?.workspaceId === 'string' && typeof envelope.payload === 'string') this.deliver(envelope);
		} catch {
			log.warn('feed_message_invalid', {});
		}
	}

	/** Hands a message to this instance's feed connections of the workspace. */
	private deliver({ workspaceId, userId, report, payload }: Envelope): void {
		if (report) reportsChanged(workspaceId);
		const document = this.hocuspocus?.documents.get(workspaceFeedName(workspaceId));
		if (!document) return;
		for (const connection of document.connections.keys()) {
			const context = connection.context as CollabContext | undefined;
			if (context?.kind !== 'feed' || context.workspaceId !== workspaceId) continue;
			if (userId && context.principal.userId !== userId) continue;
			connection.sendStateless(payload);
		}
	}
}

function encode(message: FeedMessage): string {
	return JSON.stringify(message);
}

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type pg from 'pg';
import { Hocuspocus, type Extension } from '@hocuspocus/server';
import type { AccessChanges, LiveDocuments, WorkspaceFeed } from '../src/lib/server/ports.ts';
import { logger } from '../src/lib/server/log.ts';
import { Auth } from './extensions/auth.ts';
import { persistence } from './extensions/persistence.ts';
import { WindowSeed } from './extensions/window-seed.ts';
import { Projection } from './extensions/projection.ts';
import { Presence } from './extensions/presence.ts';
import { Limits } from './extensions/limits.ts';
import { ResyncingRedis } from './extensions/redis-resync.ts';
import { LiveDocumentWriter } from './live-documents.ts';
import { holdDocumentsWhileAttaching } from './attach.ts';
import { AccessWatch } from './access.ts';
import { WorkspaceFeedServer } from './feed.ts';
import { AccessCache } from './access-cache.ts';
import { OnlineRegistry } from './extensions/online.ts';
import { createUpgradeHandler, defaultSocketLimits, type ClientAddress, type SocketLimits } from './upgrade.ts';

/**
 * ChatMai's collab server: one Hocuspocus instance serving `conversation:<uuid>` documents and the
 * `workspace:<uuid>` feeds on the app's own HTTP server. See collab/README.md.
 *
 *   (redis) → access watch → auth → persistence → window seed → projection → presence, limits
 */

export { CollabDenied } from './extensions/auth.ts';
export type { AgentContext, ServerContext, CollabContext } from './context.ts';

export interface CollabOptions {
	/** The app's pool: sessions, memberships, conversations, collab_documents. */
	db: pg.Pool;
	/** The key browser pages' collab tickets are signed with; without it only session and API tokens work. */
	ticketSecret?: Uint8Array;
	/** When set, documents are synced between instances through Redis (`redis://[user:pass@]host:port[/db]`). */
	redisUrl?: string;
	/** Redis key and channel prefix; instances that share documents must share it. @default 'chatmai-collab' */
	redisPrefix?: string;
	/**
	 * How long a peer waits for state and for last syncs before unloading, in ms (extension-redis's
	 * disconnectDelay and awaitInitialSyncTimeout). @default 1000
	 */
	redisSyncDelayMs?: number;
	/** Wait after the last change before a document is stored, in ms. @default 2000 */
	debounceMs?: number;
	/** A busy document is stored at least this often, in ms. @default 10000 */
	maxDebounceMs?: number;
	/** Messages in the recent window. @default 50 */
	windowSize?: number;
	/** Largest encoded document, in bytes. @default 2 MiB */
	maxDocumentBytes?: number;
	/** Frame size, rate and shape limits per socket, and sockets per address. @default defaultSocketLimits */
	socketLimits?: Partial<SocketLimits>;
	/** The client address of an upgrade request, for `socketsPerAddress`. @default the TCP peer's address */
	clientAddress?: ClientAddress;
	/** First wait before retrying a failed store (doubles each time), in ms. @default 200 */
	storeRetryBaseMs?: number;
	/** Close a socket that has sent nothing for this long, in ms (providers send awareness every 15 s). @default 60000 */
	idleTimeoutMs?: number;
	/**
	 * How long authentication answers (credential, conversation's workspace, scope) are reused by
	 * new connections, in ms; access changes drop them at once (collab/access-cache.ts). The
	 * lookups of sockets authenticating together are grouped (auth-lookups.ts). 0: neither. @default 5000
	 */
	authCacheMs?: number;
}

export interface Collab {
	hocuspocus: Hocuspocus;
	/** The server-side writer (the LiveDocuments port). */
	live: LiveDocuments;
	/** Who holds an open connection on this instance, per workspace (the OnlineAgents port, for routing). */
	online: OnlineRegistry;
	/** Re-checks open connections when access is taken away (the AccessChanges port). */
	access: AccessChanges;
	/** Pushes workspace events to members' `workspace:<uuid>` connections (the WorkspaceFeed port). */
	feed: WorkspaceFeed & { settled(): Promise<void>; ready(): Promise<unknown> };
	/** Call for every HTTP upgrade request whose path is `/collab`. */
	handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
	/** Stores every document with pending changes and waits for pending projections. */
	flush(): Promise<void>;
	/** Stops accepting sockets, closes the open ones, flushes, and disconnects from Redis. */
	destroy(): Promise<void>;
}

const log = logger('collab');

export function createCollab(options: CollabOptions): Collab {
	let closing = false;
	const projection = new Projection({ db: options.db, windowSize: options.windowSize });
	const cache = options.authCacheMs === 0 ? undefined : new AccessCache({ ttlMs: options.authCacheMs });
	const access = new AccessWatch({ db: options.db, redisUrl: options.redisUrl, redisPrefix: options.redisPrefix, cache });
	const feed = new WorkspaceFeedServer({ db: options.db, redisUrl: options.redisUrl, redisPrefix: options.redisPrefix });
	const online = new OnlineRegistry();
	const extensions: Extension[] = [
		access,
		new Auth({ db: options.db, ticketSecret: options.ticketSecret, cache }),
		persistence({ db: options.db, retryBaseMs: options.storeRetryBaseMs, closing: () => closing, settled: (name) => projection.settled(name) }),
		new WindowSeed({ db: options.db, windowSize: options.windowSize }),
		projection,
		new Presence(),
		online,
		new Limits({ maxDocumentBytes: options.maxDocumentBytes })
	];
	if (options.redisUrl) extensions.unshift(redisExtension(options));

	const hocuspocus = new Hocuspocus({
		name: 'chatmai',
		quiet: true,
		extensions,
		debounce: options.debounceMs ?? 2000,
		maxDebounce: options.maxDebounceMs ?? 10_000,
		timeout: options.idleTimeoutMs ?? 60_000,
		// A socket may wait on at most a few documents before they authenticate.
		maxPendingDocuments: 10,
		maxUnauthenticatedQueueMessages: 200,
		maxUnauthenticatedQueueSize: 1024 * 1024
	});
	holdDocumentsWhileAttaching(hocuspocus);
	access.attach(hocuspocus);
	feed.attach(hocuspocus);
	const upgrade = createUpgradeHandler(hocuspocus, { ...defaultSocketLimits, ...options.socketLimits }, () => !closing, options.clientAddress);
	// One instance: batch appends leave documents nobody has open alone (their next load seeds them).
	const live = new LiveDocumentWriter({ hocuspocus, db: options.db, windowSize: options.windowSize, loadColdDocuments: Boolean(options.redisUrl) });

	async function flush(): Promise<void> {
		await projection.flush();
		// Starts every debounced store now; each takes its document's save mutex as it starts.
		hocuspocus.flushPendingStores();
		await Promise.all([...hocuspocus.documents.values()].map((document) => document.saveMutex.waitForUnlock()));
		await projection.flush();
	}

	let destroyed: Promise<void> | undefined;
	async function destroy(): Promise<void> {
		closing = true;
		const documents = hocuspocus.getDocumentsCount();
		hocuspocus.closeConnections();
		await flush();
		await upgrade.close();
		await flush();
		// Let documents unload (extension-redis waits its sync delay first) before Redis disconnects.
		const deadline = Date.now() + (options.redisSyncDelayMs ?? 1000) + 5000;
		while ((hocuspocus.documents.size || hocuspocus.unloadingDocuments.size) && Date.now() < deadline) {
			await new Promise((resolve) => setTimeout(resolve, 20));
		}
		if (hocuspocus.documents.size) log.warn('documents_still_loaded', { documents: hocuspocus.documents.size });
		await hocuspocus.hooks('onDestroy', { instance: hocuspocus });
		await access.destroy();
		await feed.destroy();
		log.info('collab_stopped', { documents });
	}

	return {
		hocuspocus,
		live,
		online,
		access,
		feed,
		handleUpgrade: upgrade.handleUpgrade,
		flush,
		destroy: () => (destroyed ??= destroy())
	};
}

function redisExtension(options: CollabOptions): ResyncingRedis {
	const url = new URL(options.redisUrl!);
	const delay = options.redisSyncDelayMs ?? 1000;
	return new ResyncingRedis({
		host: url.hostname || '127.0.0.1',
		port: Number(url.port || 6379),
		options: {
			username: url.username ? decodeURIComponent(url.username) : undefined,
			password: url.password ? decodeURIComponent(url.password) : undefined,
			db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : undefined,
			tls: url.protocol === 'rediss:' ? {} : undefined,
			maxRetriesPerRequest: 3
		},
		prefix: options.redisPrefix ?? 'chatmai-collab',
		disconnectDelay: delay,
		awaitInitialSyncTimeout: delay,
		resyncDelayMs: delay
	});
}

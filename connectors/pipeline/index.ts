import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Pool } from '../../src/lib/server/db.ts';
import type { KeyRing } from '../../src/lib/server/crypto.ts';
import type { Config } from '../../src/lib/server/env.ts';
import type { LiveDocuments } from '../../src/lib/server/ports.ts';
import type { Platforms } from '../../src/lib/server/platforms.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { ConnectionCache, callContext, type ConnectorRegistry, type PlatformEndpoints } from './connections.ts';
import { GroupCommitter } from './group-commit.ts';
import { IngestWorker } from './ingest-worker.ts';
import { OutboxWorker, type OutboxWorkerOptions } from './outbox-worker.ts';
import { OrdersService } from './orders.ts';
import { LoopLoad, restPolicy } from './pacing.ts';
import { createReply, type ReplyDeps } from './replies.ts';
import { retryReply } from './retry.ts';
import { mirrorSweep } from './mirror.ts';
import { Scheduler } from './scheduler.ts';
import { wakeSnoozed } from '../../src/lib/server/snooze.ts';
import { routeAll, type OnlineAgents } from '../../src/lib/server/routing.ts';
import { connectionApiUrlsAllowed } from '../../src/lib/server/outbound.ts';
import { createWebhookRoute } from './webhook-route.ts';
import { TokenRefresher, type TokenRefresherOptions } from './token-refresh.ts';
import { ProfileFetcher } from './profiles.ts';
import { appCredentials } from '../../src/lib/server/platform-apps.ts';
import { PlatformRefused } from '../../src/lib/server/platforms.ts';
import { SendError } from '../shared/errors.ts';
import type { AuthorizationContext, Platform } from '../types.ts';
import { WebhookCounters } from './webhook-counters.ts';

/**
 * The pipeline, put together: webhook route → inbound_events → ingest worker → messages + live
 * documents; reply command → outbox → outbox worker → platform. See README.md in this folder.
 */

const log = logger('pipeline');

export interface PipelineOptions {
	db: Pool;
	keyRing: KeyRing;
	live: LiveDocuments;
	connectors: ConnectorRegistry;
	config: Pick<Config, 'origin' | 'platformApiUrls' | 'platformAuthUrls' | 'platformApps' | 'env'>;
	/** 'embedded' runs one runner per worker and one flush at a time (the pool has one connection). */
	databaseKind: 'postgres' | 'embedded';
	/** Injected in tests. */
	fetch?: typeof fetch;
	/** Outbox retry tuning (tests shorten the backoff). */
	outbox?: Pick<OutboxWorkerOptions, 'backoffBaseMs' | 'backoffMaxMs' | 'maxAttempts' | 'leaseMs'>;
	/** Token refresh tuning (tests shorten the backoff). */
	tokens?: Pick<TokenRefresherOptions, 'backoffBaseMs' | 'backoffMaxMs' | 'leaseMs'>;
	/** @default 2 */
	pollingIntervalSeconds?: number;
	/** Who is online, for auto-assignment; without it nobody is, and routing assigns nothing. */
	presence?: OnlineAgents;
}

export interface Pipeline {
	/** `HttpRoutes.webhooks`: POST/GET /webhooks/<platform>[/app/<appKey> | /<connectionId>]. */
	webhooks(req: IncomingMessage, res: ServerResponse): Promise<void>;
	/** What the webhook route dropped or quarantined since start (shown on /healthz). */
	counters: WebhookCounters;
	/** The port the routes use (services().platforms). */
	platforms: Platforms;
	ingest: IngestWorker;
	outbox: OutboxWorker;
	orders: OrdersService;
	tokens: TokenRefresher;
	profiles: ProfileFetcher;
	/** Starts the workers and pg-boss; drains what earlier runs left. */
	start(): Promise<void>;
	/** Waits for acknowledged webhooks to be committed, then stops the workers and pg-boss. Before pool.end(). */
	stop(): Promise<void>;
}

/** A connector's failure as the port's error: the platform's code and words, and whether trying again may help. */
function refused(error: unknown): unknown {
	if (error instanceof SendError) return new PlatformRefused(error.message, error.code, error.reason === 'retryable');
	return error;
}

export function createPipeline(options: PipelineOptions): Pipeline {
	const { db, keyRing, live, connectors } = options;
	const presence: OnlineAgents = options.presence ?? { online: () => new Set() };
	const embedded = options.databaseKind === 'embedded';
	const endpoints: PlatformEndpoints = {
		origin: options.config.origin,
		apiUrls: options.config.platformApiUrls,
		authUrls: options.config.platformAuthUrls,
		connectionApiUrls: connectionApiUrlsAllowed(options.config.env),
		fetch: options.fetch
	};
	const connections = new ConnectionCache({ db, keyRing, connectors });
	const orders = new OrdersService({ db, connectors, connections, endpoints });
	// Acknowledging webhooks comes first: while webhooks are arriving, the ingest worker and its
	// mirroring pace themselves (pacing.ts), hardest when the event loop is busy, and catch up
	// at full speed when the burst is over.
	let committer: GroupCommitter | undefined;
	const load = new LoopLoad();
	const restRatio = restPolicy({ pressure: () => committer?.pressure() ?? false, load: () => load.value });
	const profiles = new ProfileFetcher({ db, connectors, connections, endpoints });
	const ingest = new IngestWorker({ db, live, orders, profiles, concurrency: embedded ? 1 : 2, restRatio });
	const outbox = new OutboxWorker({ db, live, connectors, connections, endpoints, concurrency: embedded ? 1 : 2, ...options.outbox });
	const tokens = new TokenRefresher({ db, keyRing, connectors, connections, endpoints, ...options.tokens });
	let running = false;
	let scheduler: Scheduler | undefined;

	/** The call context of the authorization flow: this deployment's app, and the hosts the operator set. */
	function authorizationContext(platform: Platform): AuthorizationContext | null {
		const app = appCredentials(options.config, platform);
		if (!app) return null;
		return { app, apiBaseUrl: endpoints.apiUrls[platform], authBaseUrl: endpoints.authUrls?.[platform], fetch: endpoints.fetch };
	}

	committer = new GroupCommitter({
		db,
		maxInFlight: 1,
		prepared: !embedded,
		onCommit: () => {
			if (!running) return;
			ingest.wake();
			scheduler?.nudge('ingest');
		}
	});
	const counters = new WebhookCounters();
	const webhooks = createWebhookRoute({ connectors, connections, committer, endpoints, db, counters, app: (platform) => appCredentials(options.config, platform) });
	const flushes = committer;

	const replyDeps: ReplyDeps = {
		db,
		live,
		connectors,
		wakeOutbox: () => {
			if (running) outbox.wake();
			scheduler?.nudge('outbox');
		}
	};

	const platforms: Platforms = {
		describe(platform) {
			const connector = connectors[platform];
			return {
				platform,
				credentialSchema: connector.credentialSchema,
				orders: Boolean(connector.orders) && connector.capabilities.orderLookup.length > 0,
				authorizes: connector.capabilities.authorizes,
				refreshesTokens: connector.capabilities.refreshesTokens,
				handshake: Boolean(connector.handshake)
			};
		},
		authorizeUrl(platform, input) {
			const ctx = authorizationContext(platform);
			const authorization = connectors[platform].authorization;
			if (!ctx || !authorization) return null;
			try {
				return authorization.authorizeUrl(input, ctx);
			} catch (error) {
				throw refused(error);
			}
		},
		async exchange(platform, callback, redirectUri) {
			const ctx = authorizationContext(platform);
			const authorization = connectors[platform].authorization;
			if (!ctx || !authorization) throw new PlatformRefused('This platform is not set up for authorization', 'not_configured', false);
			try {
				return await authorization.exchange(callback, redirectUri, ctx);
			} catch (error) {
				throw refused(error);
			}
		},
		async identify(connection) {
			const connector = connectors[connection.platform];
			const credentials = connector.credentialSchema.parse(connection.credentials);
			try {
				return await connector.identify(
					callContext({ ...connection, id: '', workspaceId: '', name: '', status: 'active', verifyToken: null, credentials }, endpoints)
				);
			} catch (error) {
				throw refused(error);
			}
		},
		async subscribe(connection) {
			const connector = connectors[connection.platform];
			if (!connector.subscribe) return;
			const credentials = connector.credentialSchema.parse(connection.credentials);
			try {
				await connector.subscribe(
					callContext({ ...connection, id: '', workspaceId: '', name: '', status: 'active', verifyToken: null, credentials }, endpoints)
				);
			} catch (error) {
				throw refused(error);
			}
		},
		async testWebhook(connectionId, webhookUrl) {
			const connection = await connections.get(connectionId);
			if (!connection || connection.status !== 'active') return null;
			const connector = connectors[connection.platform];
			if (!connector.testWebhook) throw new PlatformRefused('This platform cannot send a test event', 'not_supported', false);
			try {
				const ctx = callContext(connection, endpoints);
				const result = await connector.testWebhook({ ...ctx, config: { ...ctx.config, webhookUrl } });
				log.info('webhook_tested', { connection_id: connectionId, platform: connection.platform, success: result.success, reason: result.reason });
				return result;
			} catch (error) {
				throw refused(error);
			}
		},
		wakeTokenRefresh: () => {
			if (running) tokens.wake();
		},
		async revoke(connection) {
			const connector = connectors[connection.platform];
			if (!connector.revoke) return;
			try {
				const credentials = connector.credentialSchema.parse(connection.credentials);
				await connector.revoke(callContext({ ...connection, name: '', status: 'active', credentials }, endpoints));
				log.info('revoked', { connection_id: connection.id, platform: connection.platform });
			} catch (error) {
				log.warn('revoke_failed', { connection_id: connection.id, platform: connection.platform, error: errorMessage(error) });
			}
		},
		forget: (id) => connections.forget(id),
		createReply: (scope, conversationId, input) => createReply(replyDeps, scope, conversationId, input),
		retry: (scope, conversationId, messageId) => retryReply(replyDeps, scope, conversationId, messageId),
		conversationOrders: (scope, conversationId, opts) => orders.conversationOrders(scope, conversationId, opts)
	};

	async function sweep(): Promise<void> {
		ingest.wake();
		outbox.wake();
		await mirrorSweep(db, live);
		await wakeSnoozed(db, live);
	}

	return {
		webhooks,
		counters,
		platforms,
		ingest,
		outbox,
		orders,
		tokens,
		profiles,
		async start() {
			running = true;
			// Whatever an earlier run acknowledged but did not finish: events, replies, mirrors.
			ingest.wake();
			outbox.wake();
			tokens.wake();
			await mirrorSweep(db, live).catch((error) => log.warn('mirror_sweep_failed', { error: errorMessage(error) }));
			scheduler = new Scheduler({
				db,
				pollingIntervalSeconds: options.pollingIntervalSeconds,
				handlers: {
					ingest: async () => {
						ingest.wake();
						await ingest.idle();
						// New conversations may be waiting for auto-assignment.
						scheduler?.nudge('routing');
					},
					outbox: async () => {
						outbox.wake();
						await outbox.idle();
					},
					sweep,
					tokens: async () => {
						tokens.wake();
						await tokens.idle();
					},
					routing: async () => {
						await routeAll({ db, live }, presence);
					}
				}
			});
			try {
				await scheduler.start();
			} catch (error) {
				// The workers still run on this instance's own wake-ups; only the shared schedule is missing.
				log.error('scheduler_start_failed', { error: errorMessage(error) });
				scheduler = undefined;
			}
			log.info('workers_started', { embedded });
		},
		async stop() {
			await flushes.drained();
			running = false;
			await scheduler?.stop().catch((error) => log.warn('scheduler_stop_failed', { error: errorMessage(error) }));
			await Promise.all([ingest.stop(), outbox.stop(), tokens.stop()]);
			await orders.idle();
			await profiles.idle();
			load.stop();
		}
	};
}

import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { Config } from '../src/lib/server/env.ts';
import { createPool } from '../src/lib/server/db.ts';
import { migrate } from '../src/lib/server/migrate.ts';
import { errorMessage, logger, setLogLevel } from '../src/lib/server/log.ts';
import { provideServices, clearServices, type Services } from '../src/lib/server/services.ts';
import { provideAccessChanges, clearAccessChanges } from '../src/lib/server/access-changes.ts';
import { provideWorkspaceFeed, clearWorkspaceFeed } from '../src/lib/server/workspace-feed.ts';
import type { WorkspaceFeed } from '../src/lib/server/ports.ts';
import { pushLatestNotification } from '../src/lib/server/push.ts';
import { loadVapidKeys } from './push-keys.ts';
import { createCollab } from '../collab/index.ts';
import { startPrivacyJobs } from '../src/lib/server/privacy/jobs.ts';
import { stopAllAiDrafts } from '../src/lib/server/ai/stream.ts';
import { connectors } from '../connectors/registry.ts';
import { createPipeline } from '../connectors/pipeline/index.ts';
import { openDatabase } from './database.ts';
import { loadKeyRing } from './keys.ts';
import { seedDemo } from './seed.ts';
import { createSmtpMailer } from '../src/lib/server/mail/smtp.ts';
import { createLogMailer } from '../src/lib/server/mail/log.ts';
import { createRequestListener, createUpgradeListener, upgradeClientAddress, type Middleware } from './http.ts';

const log = logger('server');

export interface RunningApp {
	url: string;
	port: number;
	services: Services;
	/** Drains: stop accepting, finish in-flight requests, flush documents, stop workers, close the pool. */
	close(): Promise<void>;
}

const SCHEME_HEADER = 'x-chatmai-scheme';
const BUILD_HANDLER = fileURLToPath(new URL('../build/handler.js', import.meta.url));

async function loadSvelteKit(): Promise<Middleware> {
	if (!existsSync(BUILD_HANDLER)) {
		throw new Error('The web app is not built: run `npm run build` (npm start builds it for you).');
	}
	const mod = await import(pathToFileURL(BUILD_HANDLER).href);
	return mod.handler as Middleware;
}

/** Starts ChatMai: database, migrations, services, the one HTTP server and the workers. */
export async function startApp(config: Config): Promise<RunningApp> {
	setLogLevel(config.logLevel);
	// adapter-node assumes https when it has no ORIGIN; without one, tell it the scheme we serve.
	if (config.origin) process.env.ORIGIN = config.origin;
	else process.env.PROTOCOL_HEADER = SCHEME_HEADER;
	const database = await openDatabase(config, log);
	await migrate(database.url, { noLock: database.kind === 'embedded' });
	const pool = createPool({ connectionString: database.url, max: database.poolSize });
	const keyRing = await loadKeyRing(config, log);
	if (config.seedDemo) await seedDemo(pool, log);

	const collab = createCollab({
		db: pool,
		redisUrl: config.redisUrl,
		ticketSecret: keyRing.deriveKey('collab-ticket'),
		socketLimits: { socketsPerAddress: config.socketsPerIp },
		clientAddress: upgradeClientAddress(config.addressHeader)
	});
	const pipeline = createPipeline({ db: pool, keyRing, live: collab.live, connectors, config, databaseKind: database.kind, presence: collab.online });
	const mailer = config.smtpUrl ? createSmtpMailer({ url: config.smtpUrl, from: config.mailFrom }) : createLogMailer();
	const vapid = await loadVapidKeys(config);
	const services: Services = { config, db: pool, keyRing, databaseKind: database.kind, live: collab.live, platforms: pipeline.platforms, mailer, vapid };
	provideServices(services);
	provideAccessChanges(collab.access);
	// Pushed to open tabs over /collab, and to the member's subscribed browsers by Web Push.
	const feed: WorkspaceFeed = {
		publish(workspaceId, event) {
			collab.feed.publish(workspaceId, event);
			if (event.type !== 'notification') return;
			pushLatestNotification(pool, vapid, workspaceId, event.userId).catch((error) => log.warn('push_failed', { error: errorMessage(error) }));
		}
	};
	provideWorkspaceFeed(feed);
	const app = await loadSvelteKit();

	const state = { draining: false };
	const routes = { pool, databaseKind: database.kind, app, collab: collab.handleUpgrade, webhooks: pipeline.webhooks, webhookCounters: () => pipeline.counters.snapshot() };
	const scheme = config.tls ? 'https' : 'http';
	const inner = createRequestListener(routes, state);
	const listener: typeof inner = (req, res) => {
		req.headers[SCHEME_HEADER] = scheme; // overwrites anything a client sent
		inner(req, res);
	};
	const server: Server = config.tls
		? createHttpsServer({ cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile), minVersion: 'TLSv1.3' }, listener)
		: createHttpServer(listener);
	server.on('upgrade', createUpgradeListener(routes));
	server.requestTimeout = 30_000;
	server.headersTimeout = 15_000;

	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(config.port, config.host, () => resolve());
	});
	const port = (server.address() as AddressInfo).port;
	const url = `${scheme}://${config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host}:${port}`;
	log.info('listening', { url, database: database.kind, redis: Boolean(config.redisUrl), tls: Boolean(config.tls), mail: mailer.transport });
	if (config.workers) await pipeline.start();
	// Retention and pending workspace purges, hourly, one instance at a time (docs/PRIVACY.md).
	const privacy = config.workers ? startPrivacyJobs({ db: pool, live: collab.live, log: logger('privacy') }) : undefined;

	let closing: Promise<void> | undefined;
	async function close(): Promise<void> {
		closing ??= (async () => {
			state.draining = true;
			const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
			server.closeIdleConnections();
			const force = setTimeout(() => server.closeAllConnections(), 10_000);
			await privacy?.stop();
			await pipeline.stop(); // acknowledged webhooks are committed; workers finish their pass
			clearAccessChanges(collab.access);
			clearWorkspaceFeed(feed);
			await stopAllAiDrafts(); // each AI draft in progress ends marked, its request to Ollama closed
			await collab.destroy(); // closes sockets and stores every pending document
			await stopped;
			clearTimeout(force);
			mailer.close();
			await pool.end();
			await database.close();
			clearServices();
			log.info('stopped');
		})();
		return closing;
	}

	return { url, port, services, close };
}

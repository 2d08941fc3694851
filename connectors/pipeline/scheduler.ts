import { PgBoss } from 'pg-boss';
import type { Queryable } from '../../src/lib/server/db.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';

/**
 * pg-boss, on the app's own pool (the embedded database has one connection, so pg-boss must not
 * open its own), for what is shared between server instances:
 *
 * - `chatmai.ingest` and `chatmai.outbox` (policy `stately`: at most one waiting and one running
 *   job each), sent after work is committed so an idle instance helps a busy one drain;
 * - `chatmai.sweep`, scheduled every minute: wakes both workers, replays unmirrored messages and
 *   reopens conversations whose snooze has ended, so events left by a crashed instance, retries
 *   that came due and snoozes that ran out are picked up by any survivor;
 * - `chatmai.routing`, scheduled every minute and nudged after each ingest drain (policy
 *   `stately`: one round running and one waiting at most, across instances): auto-assignment for the workspaces that
 *   have it on (src/lib/server/routing.ts), so a new conversation is routed within seconds.
 *
 * The work itself lives in `inbound_events` and `outbox` rows claimed with SKIP LOCKED; the jobs
 * only wake. Losing a job loses nothing.
 */

const log = logger('pipeline');

export const QUEUES = { ingest: 'chatmai.ingest', outbox: 'chatmai.outbox', sweep: 'chatmai.sweep', tokens: 'chatmai.tokens', routing: 'chatmai.routing' } as const;

export interface SchedulerHandlers {
	ingest(): Promise<void>;
	outbox(): Promise<void>;
	sweep(): Promise<void>;
	/** Refreshes the access tokens that are due (token-refresh.ts); every minute on any one instance. */
	tokens(): Promise<void>;
	/** One auto-assignment round. */
	routing(): Promise<void>;
}

export interface SchedulerOptions {
	db: Queryable;
	handlers: SchedulerHandlers;
	/** How often idle workers look for wake-up jobs, in seconds (≥ 0.5). @default 2 */
	pollingIntervalSeconds?: number;
	/** Cron of the sweep. @default every minute */
	sweepCron?: string;
	/** Cron of the routing round. @default every minute */
	routingCron?: string;
}

export class Scheduler {
	readonly #boss: PgBoss;
	readonly #options: SchedulerOptions;
	#started = false;
	#lastSent: Record<string, number> = {};

	constructor(options: SchedulerOptions) {
		this.#options = options;
		this.#boss = new PgBoss({
			db: { executeSql: (text: string, values?: unknown[]) => options.db.query(text, values) },
			schema: 'pgboss',
			registerInstance: false,
			persistWarnings: false,
			monitorVacuum: false,
			reindex: false
		});
		this.#boss.on('error', (error) => log.warn('pgboss_error', { error: errorMessage(error) }));
	}

	async start(): Promise<void> {
		await this.#boss.start();
		this.#started = true;
		for (const name of [QUEUES.ingest, QUEUES.outbox]) {
			await this.#boss.createQueue(name, { policy: 'stately', retryLimit: 0, expireInSeconds: 300, deleteAfterSeconds: 3600 });
		}
		await this.#boss.createQueue(QUEUES.sweep, { policy: 'singleton', retryLimit: 0, expireInSeconds: 300, deleteAfterSeconds: 3600 });
		await this.#boss.schedule(QUEUES.sweep, this.#options.sweepCron ?? '* * * * *');
		// Failed refreshes are retried by the refresher's own backoff (rows, not jobs): the job only wakes it.
		await this.#boss.createQueue(QUEUES.tokens, { policy: 'singleton', retryLimit: 0, expireInSeconds: 600, deleteAfterSeconds: 3600 });
		await this.#boss.schedule(QUEUES.tokens, '* * * * *');
		await this.#boss.createQueue(QUEUES.routing, { policy: 'stately', retryLimit: 0, expireInSeconds: 300, deleteAfterSeconds: 3600 });
		await this.#boss.schedule(QUEUES.routing, this.#options.routingCron ?? '* * * * *');
		const polling = { pollingIntervalSeconds: this.#options.pollingIntervalSeconds ?? 2 };
		const { handlers } = this.#options;
		await this.#boss.work(QUEUES.ingest, polling, () => handlers.ingest());
		await this.#boss.work(QUEUES.outbox, polling, () => handlers.outbox());
		await this.#boss.work(QUEUES.sweep, polling, () => handlers.sweep());
		await this.#boss.work(QUEUES.tokens, polling, () => handlers.tokens());
		await this.#boss.work(QUEUES.routing, polling, () => handlers.routing());
	}

	/** Asks any instance to drain `queue` (or run a routing round); at most once a second per instance, and never fails the caller. */
	nudge(queue: 'ingest' | 'outbox' | 'routing'): void {
		if (!this.#started) return;
		const now = Date.now();
		if (now - (this.#lastSent[queue] ?? 0) < 1_000) return;
		this.#lastSent[queue] = now;
		this.#boss.send(QUEUES[queue]).catch((error) => log.warn('nudge_failed', { queue, error: errorMessage(error) }));
	}

	async stop(): Promise<void> {
		if (!this.#started) return;
		this.#started = false;
		await this.#boss.stop({ graceful: true, timeout: 10_000 });
	}
}

/**
 * Asks whichever instance runs the workers to drain `queue` now, from a process that runs none (the
 * admin CLI). Best effort: without a running server the work waits for its next start.
 */
export async function wakeWorkers(db: Queryable, queue: 'ingest' | 'outbox'): Promise<boolean> {
	const boss = new PgBoss({
		db: { executeSql: (text: string, values?: unknown[]) => db.query(text, values) },
		schema: 'pgboss',
		registerInstance: false,
		persistWarnings: false,
		monitorVacuum: false,
		reindex: false,
		schedule: false,
		supervise: false,
		migrate: false
	});
	boss.on('error', (error) => log.warn('pgboss_error', { error: errorMessage(error) }));
	try {
		await boss.start();
		await boss.send(QUEUES[queue]);
		return true;
	} catch (error) {
		log.warn('wake_failed', { queue, error: errorMessage(error) });
		return false;
	} finally {
		await boss.stop({ graceful: false, timeout: 1_000 }).catch(() => undefined);
	}
}

import type pg from 'pg';
import { errorMessage, logger, type Logger } from '../log.ts';
import { runRetention, withPrivacyLock, type RetentionReport } from './retention.ts';
import { purgePendingWorkspaces, purgeWorkspace, type PurgeResult } from './deletion.ts';
import { purgeDocuments } from './documents.ts';
import type { LiveDocuments } from '../ports.ts';

/**
 * The privacy jobs: every `intervalMs` (hourly), purge the workspaces whose deletion was requested,
 * then apply retention. A plain timer per instance (unref'd, so it never holds the process open)
 * with a PostgreSQL advisory lock, so with several instances one does the work and the others
 * skip that round; the deletes themselves use SKIP LOCKED and are safe to overlap anyway. A queue
 * (pg-boss) would add nothing here: the job has no payload, no fan-out and no retries beyond
 * "next hour".
 */

export interface PrivacyJobsOptions {
	db: pg.Pool;
	/** The collab server's writer, so purged history leaves open and stored live documents alike. @default stored states only */
	live?: Pick<LiveDocuments, 'purge'>;
	/** @default logger('privacy') */
	log?: Logger;
	/** @default 3_600_000 (one hour) */
	intervalMs?: number;
	/** Delay of the first run after start-up, so a restart does not wait an hour. @default 30_000 */
	firstRunMs?: number;
}

export interface PrivacyRun {
	purged: PurgeResult[];
	retention: RetentionReport;
}

export interface PrivacyJobs {
	/** Runs one round now (or waits for the one in progress); null when another instance holds the lock. */
	runNow(): Promise<PrivacyRun | null>;
	/** Stops the timer and waits for a round in progress. */
	stop(): Promise<void>;
}

/** One round: pending workspace purges first (the 30-day promise), then retention. */
export async function runPrivacyRound(db: pg.Pool, log: Logger = logger('privacy'), live?: Pick<LiveDocuments, 'purge'>): Promise<PrivacyRun | null> {
	const result = await withPrivacyLock(db, async (client) => {
		const purged = await purgePendingWorkspaces(client);
		const retention = await runRetention(client);
		return { purged, retention };
	});
	if (!result) {
		log.debug('privacy_round_skipped', { reason: 'another instance holds the lock' });
		return null;
	}
	const { retention } = result;
	// After the lock's client is released: the collab server loads documents through the pool.
	const documents = await purgeDocuments(db, live, retention.purgedConversations);
	log.info('privacy_round', {
		documents,
		purged_workspaces: result.purged.length,
		messages: retention.messages,
		conversations: retention.conversations,
		notes: retention.notes,
		contacts: retention.contacts,
		inbound_events: retention.inboundEvents,
		quarantined_webhooks: retention.quarantinedWebhooks,
		sessions: retention.sessions,
		rate_limits: retention.rateLimits,
		invitations: retention.invitations,
		notifications: retention.notifications
	});
	return result;
}

export function startPrivacyJobs(options: PrivacyJobsOptions): PrivacyJobs {
	const log = options.log ?? logger('privacy');
	let running: Promise<PrivacyRun | null> | null = null;
	let stopped = false;

	const runNow = (): Promise<PrivacyRun | null> => {
		running ??= runPrivacyRound(options.db, log, options.live)
			.catch((error) => {
				log.error('privacy_round_failed', { error: errorMessage(error) });
				return null;
			})
			.finally(() => {
				running = null;
			});
		return running;
	};
	const tick = () => {
		if (!stopped) void runNow();
	};
	const first = setTimeout(tick, options.firstRunMs ?? 30_000);
	const timer = setInterval(tick, options.intervalMs ?? 3_600_000);
	first.unref();
	timer.unref();
	return {
		runNow,
		async stop() {
			stopped = true;
			clearTimeout(first);
			clearInterval(timer);
			await running;
		}
	};
}

/**
 * Purges just-closed workspaces in the background, right away: under the same lock, retried a few
 * times when a round holds it (that round, or the next hourly one, purges them otherwise).
 */
export function purgeSoon(db: pg.Pool, workspaceIds: string[], log: Logger = logger('privacy'), attempt = 0): void {
	if (!workspaceIds.length) return;
	const run = async () => {
		const done = await withPrivacyLock(db, async (client) => {
			for (const id of workspaceIds) await purgeWorkspace(client, id);
			return true;
		});
		if (!done && attempt < 10) purgeSoon(db, workspaceIds, log, attempt + 1);
	};
	const timer = setTimeout(() => {
		run().catch((error) => log.warn('workspace_purge_deferred', { workspaces: workspaceIds.length, error: errorMessage(error) }));
	}, attempt === 0 ? 0 : 2_000);
	timer.unref();
}

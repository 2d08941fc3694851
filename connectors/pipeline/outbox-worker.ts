import { transaction, type Pool } from '../../src/lib/server/db.ts';
import type { LiveDocuments } from '../../src/lib/server/ports.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { SendError } from '../shared/errors.ts';
import { DrainLoop } from './drain-loop.ts';
import { MIRROR_COLUMNS, mirrorMessages, queueMirrorSql, type MirrorRow } from './mirror.ts';
import { callContext, type ConnectionCache, type ConnectorRegistry, type PlatformEndpoints } from './connections.ts';
import type { DeliveryError } from '../../src/lib/delivery-errors.ts';
import { failureOf, windowFailure } from './delivery-error.ts';

/**
 * Stage 3 of the pipeline: agent replies are commands. `replies.ts` writes an outbox row; this
 * worker claims due rows, checks the platform's rules again (the window may have closed while the
 * reply waited), sends through the connector, and writes queued / sent / failed back to the
 * message row and then into the live document.
 *
 * Claiming sets the row to `sending` with a lease (`next_attempt_at` in the future) and commits
 * before the platform is called, so no connection is held during the call. A crash mid-send leaves
 * the row `sending`; when the lease ends another pass sends it again. That can duplicate a message
 * the platform had already taken: LINE de-duplicates with the retry key (the outbox id); the others
 * offer no idempotency key, so at-least-once is the best there is.
 */

const log = logger('outbox');

/** outbox.last_error: the operator's line, code first. */
function technical(reason: DeliveryError): string {
	return (reason.detail ? `${reason.code}: ${reason.detail}` : reason.code).slice(0, 1000);
}

export interface OutboxWorkerOptions {
	db: Pool;
	live: LiveDocuments;
	connectors: ConnectorRegistry;
	connections: ConnectionCache;
	endpoints: PlatformEndpoints;
	/** Rows claimed per pass. @default 20 */
	batchSize?: number;
	/** Runners on this instance. @default 2 (1 embedded) */
	concurrency?: number;
	/** Tries before a retryable failure becomes final. @default 6 */
	maxAttempts?: number;
	/** First retry delay; doubles each attempt, with jitter. @default 2000 */
	backoffBaseMs?: number;
	/** @default 300000 (5 minutes) */
	backoffMaxMs?: number;
	/** How long a claimed row is left alone before it counts as abandoned. @default 60000 */
	leaseMs?: number;
	/** @default Math.random */
	random?: () => number;
}

interface ClaimedRow {
	id: string;
	workspace_id: string;
	conversation_id: string;
	connection_id: string;
	message_id: string | null;
	body: string;
	attempts: number;
	platform: string;
	thread_id: string;
	customer_id: string;
	last_customer_message_at: Date | null;
	reply_token: string | null;
	reply_token_at: Date | null;
}

/** A retry's reason is technical (outbox.last_error); a failure's is the code the seller reads (messages.delivery_error). */
type Outcome = { state: 'sent'; platformMessageId: string } | { state: 'retry'; reason: string; delayMs: number } | { state: 'failed'; reason: DeliveryError };

export class OutboxWorker {
	readonly #o: Required<Omit<OutboxWorkerOptions, 'random'>> & { random: () => number };
	readonly #loop: DrainLoop;
	#timer: NodeJS.Timeout | undefined;
	#stopped = false;

	constructor(options: OutboxWorkerOptions) {
		this.#o = {
			batchSize: 20,
			concurrency: 2,
			maxAttempts: 6,
			backoffBaseMs: 2_000,
			backoffMaxMs: 300_000,
			leaseMs: 60_000,
			random: Math.random,
			...options
		};
		this.#loop = new DrainLoop(() => this.pass(), { concurrency: this.#o.concurrency, log, name: 'outbox' });
	}

	wake(): void {
		this.#loop.wake();
	}

	idle(): Promise<void> {
		return this.#loop.idle();
	}

	async stop(): Promise<void> {
		this.#stopped = true;
		clearTimeout(this.#timer);
		await this.#loop.stop();
	}

	/** The delay before retry number `attempt` (1-based): exponential, capped, with "equal jitter". */
	backoff(attempt: number): number {
		const ceiling = Math.min(this.#o.backoffMaxMs, this.#o.backoffBaseMs * 2 ** Math.max(0, attempt - 1));
		return Math.round(ceiling / 2 + (ceiling / 2) * this.#o.random());
	}

	/** One batch of due rows. Resolves true when there may be more due now. */
	async pass(): Promise<boolean> {
		const { rows } = await this.#o.db.query<ClaimedRow>(
			`with due as (
			   select id from outbox
			    where state in ('queued', 'sending') and next_attempt_at <= now()
			    order by next_attempt_at limit $1 for update skip locked
			 ), claimed as (
			   update outbox o set state = 'sending', attempts = o.attempts + 1, updated_at = now(),
			          next_attempt_at = now() + make_interval(secs => $2::double precision / 1000)
			     from due where o.id = due.id
			   returning o.id, o.workspace_id, o.conversation_id, o.connection_id, o.message_id, o.body, o.attempts
			 )
			 select claimed.*, c.platform, c.external_thread_id as thread_id, ci.external_id as customer_id,
			        c.last_customer_message_at, c.reply_token, c.reply_token_at
			   from claimed
			   join conversations c on c.id = claimed.conversation_id
			   join contact_identities ci on ci.id = c.contact_identity_id`,
			[this.#o.batchSize, this.#o.leaseMs]
		);
		await Promise.all(rows.map((row) => this.#deliver(row)));
		if (rows.length < this.#o.batchSize) await this.#scheduleNext();
		return rows.length === this.#o.batchSize;
	}

	async #deliver(row: ClaimedRow): Promise<void> {
		const outcome = await this.#attempt(row);
		await this.#settle(row, outcome);
	}

	async #attempt(row: ClaimedRow): Promise<Outcome> {
		let connection;
		try {
			connection = await this.#o.connections.get(row.connection_id);
		} catch (error) {
			return { state: 'retry', reason: `connection lookup failed: ${errorMessage(error)}`, delayMs: this.backoff(row.attempts) };
		}
		if (!connection || connection.status !== 'active') return { state: 'failed', reason: { code: 'disconnected' } };
		const connector = this.#o.connectors[connection.platform];
		const window = connector.checkReplyWindow(row.last_customer_message_at, new Date());
		if (!window.ok) return { state: 'failed', reason: windowFailure(window) };
		try {
			const result = await connector.send(
				{
					idempotencyKey: row.id,
					threadId: row.thread_id,
					customerId: row.customer_id,
					text: row.body,
					lastCustomerMessageAt: row.last_customer_message_at,
					replyToken: row.reply_token && row.reply_token_at ? { token: row.reply_token, receivedAt: row.reply_token_at } : undefined
				},
				callContext(connection, this.#o.endpoints)
			);
			return { state: 'sent', platformMessageId: result.platformMessageId };
		} catch (error) {
			const retryable = !(error instanceof SendError) || error.reason === 'retryable';
			const reason = error instanceof SendError ? error.message : `unexpected error: ${errorMessage(error)}`;
			log.warn('send_failed', {
				outbox_id: row.id,
				connection_id: row.connection_id,
				platform: row.platform,
				attempt: row.attempts,
				retryable,
				code: error instanceof SendError ? (error.code ?? null) : null,
				status: error instanceof SendError ? (error.status ?? null) : null
			});
			if (retryable && row.attempts < this.#o.maxAttempts) return { state: 'retry', reason, delayMs: this.backoff(row.attempts) };
			return { state: 'failed', reason: failureOf(error, reason, row.attempts) };
		}
	}

	async #settle(row: ClaimedRow, outcome: Outcome): Promise<void> {
		const db = this.#o.db;
		if (outcome.state === 'retry') {
			await db.query(
				`update outbox set state = 'queued', last_error = $2, updated_at = now(),
				        next_attempt_at = now() + make_interval(secs => $3::double precision / 1000)
				  where id = $1 and state = 'sending'`,
				[row.id, outcome.reason.slice(0, 1000), outcome.delayMs]
			);
			return;
		}
		const message = await transaction(db, async (client) => {
			const { rowCount } = await client.query(
				`update outbox set state = $2, last_error = $3, platform_message_id = $4, updated_at = now() where id = $1 and state = 'sending'`,
				[row.id, outcome.state, outcome.state === 'failed' ? technical(outcome.reason) : null, outcome.state === 'sent' ? outcome.platformMessageId : null]
			);
			if (!rowCount || !row.message_id) return undefined;
			if (outcome.state === 'sent') {
				// The platform's echo of this very message may have been stored first; ours is the one to keep.
				await client.query(`delete from messages where connection_id = $1 and platform_message_id = $2 and id <> $3`, [
					row.connection_id,
					outcome.platformMessageId,
					row.message_id
				]);
				// The first response is when the agent wrote it, and only after the customer wrote.
				await client.query(
					`update conversations c set first_response_at = m.sent_at from messages m
					  where c.id = $1 and m.id = $2 and c.first_response_at is null
					    and c.last_customer_message_at is not null and c.last_customer_message_at < m.sent_at`,
					[row.conversation_id, row.message_id]
				);
				// A LINE reply token works once.
				if (row.reply_token) {
					await client.query(`update conversations set reply_token = null, reply_token_at = null where id = $1 and reply_token = $2`, [
						row.conversation_id,
						row.reply_token
					]);
				}
			}
			const { rows } = await client.query<MirrorRow>(
				`with updated as (
				   update messages set delivery_state = $2, delivery_error = $3::jsonb, platform_message_id = coalesce($4, platform_message_id)
				    where id = $1 returning ${MIRROR_COLUMNS}
				 ), queued as (${queueMirrorSql('updated')})
				 select * from updated`,
				[row.message_id, outcome.state, outcome.state === 'failed' ? JSON.stringify(outcome.reason) : null, outcome.state === 'sent' ? outcome.platformMessageId : null]
			);
			return rows[0];
		});
		log.info(outcome.state === 'sent' ? 'sent' : 'failed', { outbox_id: row.id, connection_id: row.connection_id, platform: row.platform, attempts: row.attempts });
		if (message) await mirrorMessages(db, this.#o.live, [message], () => ({ source: 'outbox' }));
	}

	/** Wakes this instance when the next retry is due (other instances poll through pg-boss). */
	async #scheduleNext(): Promise<void> {
		if (this.#stopped) return;
		const { rows } = await this.#o.db.query<{ ms: number | null }>(
			`select extract(epoch from (min(next_attempt_at) - now())) * 1000 as ms from outbox where state in ('queued', 'sending')`
		);
		const ms = rows[0]?.ms;
		clearTimeout(this.#timer);
		if (ms === null || ms === undefined) return;
		this.#timer = setTimeout(() => this.wake(), Math.min(60_000, Math.max(5, Number(ms))));
		this.#timer.unref();
	}
}

import { errorMessage, type Logger } from '../../src/lib/server/log.ts';

export interface DrainLoopOptions {
	/** Runners draining at once on this instance (they share work through SKIP LOCKED). @default 1 */
	concurrency?: number;
	/** Wait before trying again after a failed pass (database down), in ms. @default 1000 */
	retryDelayMs?: number;
	log: Logger;
	name: string;
	/**
	 * Runs after the first pass that succeeds following a failed one. A pass that failed on a lost
	 * connection may have committed all the same (the commit's answer was what got lost), leaving
	 * work its follow-up never did; this is where to catch up (the ingest worker replays the mirror
	 * queue). A failure here is retried after the next successful pass.
	 */
	onRecovered?: () => Promise<unknown>;
}

/**
 * Runs `pass` until it reports no more work, whenever woken. Wakes while busy are coalesced into
 * one more round, so a burst of webhooks costs a few passes, not one each. A failed pass is retried
 * after a pause; nothing is lost meanwhile because the work lives in PostgreSQL rows.
 */
export class DrainLoop {
	readonly #pass: () => Promise<boolean>;
	readonly #concurrency: number;
	readonly #retryDelayMs: number;
	readonly #log: Logger;
	readonly #name: string;
	#running = 0;
	#again = false;
	#stopped = false;
	#retryTimer: NodeJS.Timeout | undefined;
	#idle: (() => void)[] = [];
	readonly #onRecovered: (() => Promise<unknown>) | undefined;
	#recovering = false;

	constructor(pass: () => Promise<boolean>, options: DrainLoopOptions) {
		this.#pass = pass;
		this.#concurrency = Math.max(1, options.concurrency ?? 1);
		this.#retryDelayMs = options.retryDelayMs ?? 1_000;
		this.#log = options.log;
		this.#name = options.name;
		this.#onRecovered = options.onRecovered;
	}

	wake(): void {
		if (this.#stopped) return;
		this.#again = true;
		while (this.#running < this.#concurrency) {
			this.#running += 1;
			void this.#run();
		}
	}

	/** Resolves when no runner is busy (tests and shutdown). */
	idle(): Promise<void> {
		if (this.#running === 0) return Promise.resolve();
		return new Promise((resolve) => this.#idle.push(resolve));
	}

	async stop(): Promise<void> {
		this.#stopped = true;
		clearTimeout(this.#retryTimer);
		await this.idle();
	}

	async #run(): Promise<void> {
		try {
			do {
				this.#again = false;
				while (!this.#stopped && (await this.#pass())) {
					// more work: keep going
				}
			} while (this.#again && !this.#stopped);
			if (this.#recovering && this.#onRecovered) {
				this.#recovering = false;
				await this.#onRecovered().catch((error) => {
					this.#recovering = true;
					throw error;
				});
				this.#log.info('recovered', { worker: this.#name });
			}
		} catch (error) {
			this.#recovering = true;
			this.#log.warn('pass_failed', { worker: this.#name, error: errorMessage(error) });
			if (!this.#stopped) {
				clearTimeout(this.#retryTimer);
				this.#retryTimer = setTimeout(() => this.wake(), this.#retryDelayMs);
				this.#retryTimer.unref();
			}
		} finally {
			this.#running -= 1;
			if (this.#running === 0) for (const done of this.#idle.splice(0)) done();
		}
	}
}

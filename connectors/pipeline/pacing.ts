import { performance } from 'node:perf_hooks';

/**
 * How the background workers share one process with the webhook route. Acknowledging comes
 * first: platforms time out and redeliver, while processing may lag a little. So while webhooks
 * are being acknowledged, each worker step first rests a multiple of the time its last step took:
 * a small multiple while the process has room, a large one while its event loop is busy (the
 * webhooks then need the CPU, and the rows wait safely in PostgreSQL). A rest is bounded, so
 * processing never stops; with no webhooks arriving there is no rest at all and the backlog drains
 * at full speed. Measured in bench/ingest.ts: at 2,000 webhooks/s the workers keep up; flat out,
 * they take a few percent and catch up in the seconds after.
 */

/** The event loop's utilization (0…1) over the last completed window, sampled in the background. */
export class LoopLoad {
	#last = performance.eventLoopUtilization();
	#value = 0;
	readonly #timer: NodeJS.Timeout;

	constructor(windowMs = 100) {
		this.#timer = setInterval(() => {
			const now = performance.eventLoopUtilization();
			this.#value = performance.eventLoopUtilization(now, this.#last).utilization;
			this.#last = now;
		}, windowMs);
		this.#timer.unref();
	}

	get value(): number {
		return this.#value;
	}

	stop(): void {
		clearInterval(this.#timer);
	}
}

export interface RestPolicyOptions {
	/** True while webhooks wait to be stored or arrived a moment ago. */
	pressure: () => boolean;
	/** The event loop's recent utilization, 0…1. */
	load: () => number;
	/** Utilization from which the loop counts as busy. @default 0.5 */
	busyAt?: number;
	/** Rest multiple under pressure with room to spare. @default 1 */
	ratio?: number;
	/** Rest multiple under pressure on a busy loop. @default 40 */
	busyRatio?: number;
}

/** The rest multiple right now: 0 when nothing needs the process more than the workers do. */
export function restPolicy(options: RestPolicyOptions): () => number {
	const busyAt = options.busyAt ?? 0.5;
	const ratio = options.ratio ?? 1;
	const busyRatio = options.busyRatio ?? 40;
	return () => {
		if (!options.pressure()) return 0;
		return options.load() >= busyAt ? busyRatio : ratio;
	};
}

const POLL_MS = 2;

/** Where a Pacer reads the time and waits; a test hands it a virtual one. */
export interface PacerClock {
	now(): number;
	sleep(ms: number): Promise<void>;
}

const realClock: PacerClock = {
	now: () => performance.now(),
	sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms))
};

/**
 * Paces a repeated step: before each, rests `restRatio()` × the last step's duration (at least
 * 2 ms, at most `maxMs`), ending the rest early once `restRatio()` says 0. A slow step (a loaded
 * CPU, a busy database) so earns a longer rest.
 */
export class Pacer {
	readonly #restRatio: (() => number) | undefined;
	readonly #maxMs: number;
	readonly #clock: PacerClock;
	#lastMs = 0;

	constructor(restRatio: (() => number) | undefined, maxMs: number, clock: PacerClock = realClock) {
		this.#restRatio = restRatio;
		this.#maxMs = maxMs;
		this.#clock = clock;
	}

	/** True while steps are paced (the next one would rest first). */
	resting(): boolean {
		return (this.#restRatio?.() ?? 0) > 0;
	}

	/** How long the rest before the next step would be now, in ms (0: none). */
	restMs(): number {
		const ratio = this.#restRatio?.() ?? 0;
		if (ratio <= 0) return 0;
		return Math.min(this.#maxMs, Math.max(POLL_MS, this.#lastMs * ratio));
	}

	async run<T>(step: () => Promise<T>): Promise<T> {
		const clock = this.#clock;
		const rest = this.restMs();
		if (rest > 0) {
			const until = clock.now() + rest;
			while (clock.now() < until) {
				await clock.sleep(POLL_MS);
				if ((this.#restRatio?.() ?? 0) <= 0) break;
			}
		}
		const started = clock.now();
		try {
			return await step();
		} finally {
			this.#lastMs = clock.now() - started;
		}
	}
}

import { describe, expect, it } from 'vitest';
import { LoopLoad, Pacer, restPolicy } from '../../connectors/pipeline/pacing.ts';

/** The workers' pacing (connectors/pipeline/pacing.ts): acknowledging webhooks comes first. */

describe('restPolicy', () => {
	it('asks for no rest while no webhooks are waiting, however busy the loop', () => {
		const rest = restPolicy({ pressure: () => false, load: () => 1 });
		expect(rest()).toBe(0);
	});

	it('asks for a short rest under webhooks with room to spare, a long one on a busy loop', () => {
		let load = 0.2;
		const rest = restPolicy({ pressure: () => true, load: () => load, busyAt: 0.5, ratio: 1, busyRatio: 40 });
		expect(rest()).toBe(1);
		load = 0.5;
		expect(rest()).toBe(40);
		load = 0.95;
		expect(rest()).toBe(40);
	});
});

/** A clock that moves only when told: steps and rests take exactly the time the test says. */
function virtualClock() {
	let now = 0;
	const slept: number[] = [];
	return {
		slept,
		advance: (ms: number) => void (now += ms),
		clock: {
			now: () => now,
			sleep: async (ms: number) => {
				slept.push(ms);
				now += ms;
			}
		}
	};
}

describe('Pacer', () => {
	it('rests a multiple of the last step, bounded, and not at all without pressure', async () => {
		const time = virtualClock();
		let ratio = 0;
		const pacer = new Pacer(() => ratio, 250, time.clock);
		expect(pacer.restMs()).toBe(0);
		await pacer.run(async () => time.advance(20));
		expect(time.slept).toEqual([]);
		ratio = 3;
		expect(pacer.restMs()).toBe(60);
		ratio = 100;
		expect(pacer.restMs()).toBe(250);
		ratio = 0;
		expect(pacer.restMs()).toBe(0);
	});

	it('rests before the step as long as it said, then runs the step', async () => {
		const time = virtualClock();
		const pacer = new Pacer(() => 3, 250, time.clock);
		await pacer.run(async () => time.advance(20));
		let ranAt = -1;
		const before = time.clock.now();
		await pacer.run(async () => void (ranAt = time.clock.now()));
		expect(ranAt - before).toBe(60);
	});

	it('cuts a rest short as soon as the pressure is gone, and always runs the step', async () => {
		const time = virtualClock();
		let ratio = 100;
		const pacer = new Pacer(() => ratio, 60_000, time.clock);
		await pacer.run(async () => time.advance(50));
		expect(pacer.restMs()).toBe(5_000);
		const sleep = time.clock.sleep;
		// The pressure goes away after the third poll of the rest.
		time.clock.sleep = async (ms) => {
			await sleep(ms);
			if (time.slept.length === 3) ratio = 0;
		};
		let ran = false;
		await pacer.run(async () => void (ran = true));
		expect(ran).toBe(true);
		expect(time.slept).toEqual([2, 2, 2]);
	});
});

describe('LoopLoad', () => {
	it('reads a blocked event loop as busy and an idle one as not', async () => {
		const load = new LoopLoad(50);
		try {
			await new Promise((resolve) => setTimeout(resolve, 120));
			// Block the loop in short slices so the sampling timer still fires between them, until the
			// reading says busy (bounded: on a crowded machine a window may close late).
			const giveUp = performance.now() + 5_000;
			while (load.value <= 0.5 && performance.now() < giveUp) {
				const slice = performance.now() + 10;
				while (performance.now() < slice) {
					// busy
				}
				await new Promise((resolve) => setImmediate(resolve));
			}
			expect(load.value).toBeGreaterThan(0.5);
			const idleUntil = performance.now() + 5_000;
			while (load.value >= 0.5 && performance.now() < idleUntil) await new Promise((resolve) => setTimeout(resolve, 60));
			expect(load.value).toBeLessThan(0.5);
		} finally {
			load.stop();
		}
	});
});

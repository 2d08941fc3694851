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

describe('Pacer', () => {
	it('rests a multiple of the last step, bounded, and not at all without pressure', async () => {
		let ratio = 0;
		const pacer = new Pacer(() => ratio, 250);
		expect(pacer.restMs()).toBe(0);
		await pacer.run(async () => {
			const until = performance.now() + 20;
			while (performance.now() < until) {
				// a step that takes about 20 ms
			}
		});
		ratio = 3;
		expect(pacer.restMs()).toBeGreaterThanOrEqual(3 * 20 - 1);
		expect(pacer.restMs()).toBeLessThanOrEqual(250);
		ratio = 100;
		expect(pacer.restMs()).toBe(250);
		ratio = 0;
		expect(pacer.restMs()).toBe(0);
	});

	it('cuts a rest short as soon as the pressure is gone, and always runs the step', async () => {
		let ratio = 100;
		const pacer = new Pacer(() => ratio, 60_000);
		await pacer.run(async () => {
			const until = performance.now() + 50;
			while (performance.now() < until) {
				// about 50 ms: the next rest would be 5 s
			}
		});
		expect(pacer.restMs()).toBeGreaterThan(1_000);
		let ran = false;
		const step = pacer.run(async () => {
			ran = true;
		});
		setTimeout(() => (ratio = 0), 20);
		await step;
		expect(ran).toBe(true);
		// Ended by the pressure, not by the 5 s rest: the test's own timeout would have failed first.
	}, 3_000);
});

describe('LoopLoad', () => {
	it('reads a blocked event loop as busy and an idle one as not', async () => {
		const load = new LoopLoad(50);
		try {
			await new Promise((resolve) => setTimeout(resolve, 120));
			const spinUntil = performance.now() + 150;
			// Block the loop in short slices so the sampling timer still fires between them.
			while (performance.now() < spinUntil) {
				const slice = performance.now() + 10;
				while (performance.now() < slice) {
					// busy
				}
				await new Promise((resolve) => setImmediate(resolve));
			}
			expect(load.value).toBeGreaterThan(0.5);
			await new Promise((resolve) => setTimeout(resolve, 200));
			expect(load.value).toBeLessThan(0.5);
		} finally {
			load.stop();
		}
	});
});

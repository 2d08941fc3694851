import { readFileSync } from 'node:fs';

/**
 * What the machine as a whole did, from Linux's /proc/stat: a bench reads it before and after a
 * measured stretch to show how much CPU the hypervisor took away meanwhile (steal), which no
 * process on the machine can see otherwise. Elsewhere both counts stay 0.
 */
export interface CpuTicks {
	total: number;
	steal: number;
}

export function cpuTicks(): CpuTicks {
	try {
		const fields = readFileSync('/proc/stat', 'latin1').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
		return { total: fields.reduce((a, b) => a + b, 0), steal: fields[7] ?? 0 };
	} catch {
		return { total: 0, steal: 0 };
	}
}

/** Share (0…1) of the machine's CPU time the hypervisor took between two readings. */
export function stealBetween(before: CpuTicks, after: CpuTicks): number {
	return after.total > before.total ? (after.steal - before.steal) / (after.total - before.total) : 0;
}

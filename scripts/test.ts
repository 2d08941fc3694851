import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';

/**
 * `npm test`: the whole suite. Unit and integration tests (vitest, real PostgreSQL and Redis),
 * then end-to-end tests (Playwright in Debian's Chromium). Ends with one summary line.
 */
const totals = { passed: 0, failed: 0, skipped: 0 };
let ok = true;

function run(label: string, cmd: string, args: string[], report: string, count: (json: any) => void) {
	console.log(`\n▶ ${label}`);
	rmSync(report, { force: true });
	const result = spawnSync(cmd, args, { stdio: 'inherit', env: process.env });
	if (result.status !== 0) ok = false;
	if (existsSync(report)) count(JSON.parse(readFileSync(report, 'utf8')));
	else ok = false;
}

console.log(`Node ${process.version}`);
run('unit and integration (vitest)', 'npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=test-results/vitest.json'], 'test-results/vitest.json', (j) => {
	totals.passed += j.numPassedTests;
	// A file that fails before any test runs (an import error) counts as one failure.
	const brokenFiles = j.testResults.filter((r: any) => r.status === 'failed' && r.assertionResults.length === 0).length;
	totals.failed += j.numFailedTests + brokenFiles;
	totals.skipped += j.numPendingTests + (j.numTodoTests ?? 0);
});
if (process.env.SKIP_E2E !== '1') {
	run('end-to-end (playwright)', 'npx', ['playwright', 'test'], 'test-results/e2e.json', (j) => {
		totals.passed += j.stats.expected;
		totals.failed += j.stats.unexpected + j.stats.flaky;
		totals.skipped += j.stats.skipped;
	});
}
console.log(`\n${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(ok && totals.failed === 0 ? 0 : 1);

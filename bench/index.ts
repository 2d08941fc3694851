import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * `npm run bench`: every bench/*.ts in turn (or those named on the command line). Each prints its
 * figures beside baselines it measures in the same run; nothing here asserts a time.
 */
const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
	.filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.startsWith('_'))
	.filter((f) => wanted.length === 0 || wanted.some((w) => f.includes(w)));
let failed = 0;
for (const file of files) {
	console.log(`\n═══ ${file} ═══`);
	const result = spawnSync(process.execPath, ['--expose-gc', `${dir}${file}`], { stdio: 'inherit' });
	if (result.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);

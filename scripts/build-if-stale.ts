import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function newest(path: string): number {
	const stat = statSync(path);
	if (!stat.isDirectory()) return stat.mtimeMs;
	let latest = 0;
	for (const entry of readdirSync(path)) latest = Math.max(latest, newest(join(path, entry)));
	return latest;
}

function isFresh(): boolean {
	const handler = join(root, 'build', 'handler.js');
	const sources = ['src', 'static', 'svelte.config.js', 'vite.config.ts', 'package-lock.json'].map((p) => join(root, p)).filter(existsSync);
	return existsSync(handler) && statSync(handler).mtimeMs >= Math.max(...sources.map(newest));
}

/**
 * Builds the web app when build/ is missing or older than its sources. Test runs that start
 * together take turns through a lock folder, so two builds never write one output.
 */
export function buildIfStale(): void {
	if (isFresh()) return;
	const lock = join(root, 'node_modules', '.chatmai-build.lock');
	const deadline = Date.now() + 5 * 60_000;
	for (;;) {
		try {
			mkdirSync(lock);
			break;
		} catch {
			const stale = existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 5 * 60_000;
			if (stale) rmSync(lock, { recursive: true, force: true });
			if (Date.now() > deadline) throw new Error('waited too long for another build');
			Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
		}
	}
	try {
		if (isFresh()) return;
		console.log('Building the web app (first start or sources changed)…');
		const result = spawnSync('npx', ['vite', 'build', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
		if (result.status !== 0) throw new Error(`vite build failed with status ${result.status}`);
	} finally {
		rmSync(lock, { recursive: true, force: true });
	}
}

if (import.meta.url === `file://${process.argv[1]}`) {
	try {
		buildIfStale();
	} catch (error) {
		console.error(String(error));
		process.exit(1);
	}
}

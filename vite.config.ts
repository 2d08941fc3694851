import { sveltekit } from '@sveltejs/kit/vite';
import { defineConfig } from 'vitest/config';

export default defineConfig({
	plugins: [sveltekit()],
	// Rolldown's per-plugin timing report is for build tooling authors, not for someone running `npm start`.
	build: { rolldownOptions: { checks: { bundlerTimings: false } } },
	test: {
		include: ['src/**/*.test.ts', 'server/**/*.test.ts', 'collab/**/*.test.ts', 'connectors/**/*.test.ts', 'tests/**/*.test.ts'],
		exclude: ['tests/e2e/**', 'node_modules/**'],
		globalSetup: ['tests/setup/global.ts'],
		setupFiles: ['tests/setup/file-database.ts'],
		testTimeout: 30_000,
		hookTimeout: 60_000,
		fileParallelism: true,
		maxWorkers: 2,
		// The built app is loaded by Node as it is: Vite's Svelte plugin must not compile its chunks again.
		server: { deps: { external: [/\/build\//] } }
	}
});

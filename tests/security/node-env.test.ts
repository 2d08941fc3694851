import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { readConfig, ConfigError } from '../../src/lib/server/env.ts';

/** Issue 11, low item: NODE_ENV unset is production, so no production rule is lost to a forgotten variable. */
function run(script: string, env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
	const base = { ...process.env };
	delete base.NODE_ENV;
	return new Promise((resolve) => {
		const child = spawn(process.execPath, [script], { env: { ...base, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
		let stderr = '';
		child.stderr.on('data', (chunk) => (stderr += chunk));
		const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
		child.on('exit', (code) => {
			clearTimeout(timer);
			resolve({ code, stderr });
		});
	});
}

describe('NODE_ENV unset means production', () => {
	it('reads an environment without NODE_ENV as production', () => {
		expect(readConfig({}).env).toBe('production');
		expect(readConfig({ NODE_ENV: '' }).env).toBe('production');
		expect(readConfig({ NODE_ENV: 'test' }).env).toBe('test');
	});

	it('requires the encryption keys with an external database when NODE_ENV is unset', () => {
		expect(() => readConfig({ DATABASE_URL: 'postgres://chatmai@127.0.0.1:5432/chatmai' })).toThrow(ConfigError);
	});

	it('refuses to start `npm run serve` and `npm start` without encryption keys when NODE_ENV is unset', async () => {
		const env = { DATABASE_URL: 'postgres://chatmai@127.0.0.1:1/none', PORT: '0', HOST: '127.0.0.1' };
		for (const script of ['server/index.ts', 'scripts/start.ts']) {
			const { code, stderr } = await run(script, env);
			console.log(`${script} without NODE_ENV: exit ${code}, ${stderr.trim().split('\n').at(-1)}`);
			expect(code).toBe(1);
			expect(stderr).toContain('CHATMAI_ENCRYPTION_KEYS');
		}
	});
});

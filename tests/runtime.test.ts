import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

describe('the pinned runtime', () => {
	it('runs the test runner on Node 24, as package.json pins it', () => {
		expect(process.versions.node.split('.')[0]).toBe('24');
	});

	it('puts Node 24 first on the PATH of npm scripts', () => {
		const out = execFileSync('npm', ['run', '--silent', 'node-version'], { encoding: 'utf8', env: process.env });
		expect(out.trim()).toMatch(/^v24\./);
	});
});

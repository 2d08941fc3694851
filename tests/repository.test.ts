import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const read = (path: string) => readFileSync(new URL(`../${path}`, import.meta.url), 'utf8');

/** The variables named in the first column of the README's configuration table. */
function readmeVariables(): string[] {
	const readme = read('README.md');
	const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('## Architecture'));
	const names = new Set<string>();
	for (const line of table.split('\n')) {
		const first = line.split('|')[1] ?? '';
		for (const [, name] of first.matchAll(/`([A-Z][A-Z0-9_<>]+)`/g)) {
			if (!name.includes('<')) names.add(name);
			else for (const platform of ['FACEBOOK', 'INSTAGRAM', 'LINE', 'SHOPEE', 'LAZADA', 'TIKTOK']) names.add(name.replace(/<[A-Z]+>/, platform));
		}
	}
	return [...names];
}

describe('what a clone of the repository carries', () => {
	it('lists every variable of the README configuration table in .env.example', () => {
		const example = read('.env.example');
		const names = readmeVariables();
		expect(names.length).toBeGreaterThan(15);
		const missing = names.filter((name) => !new RegExp(`^#? ?${name}=`, 'm').test(example));
		expect(missing).toEqual([]);
	});

	it('carries a LICENSE matching package.json', () => {
		expect(JSON.parse(read('package.json')).license).toBe('AGPL-3.0-only');
		expect(read('LICENSE')).toMatch(/GNU AFFERO GENERAL PUBLIC LICENSE\s+Version 3, 19 November 2007/);
	});

	it('links no file outside the repository from the README or the docs', () => {
		for (const path of ['README.md', 'docs/PRIVACY.md', 'docs/API.md']) {
			if (!existsSync(new URL(`../${path}`, import.meta.url))) continue;
			expect(read(path), path).not.toMatch(/\.\.\/shared|privacy-policy\.txt/);
		}
		expect(read('README.md')).toContain('(docs/PRIVACY.md)');
	});

	it('pins the whole @hocuspocus family to one exact version', () => {
		const { dependencies, devDependencies } = JSON.parse(read('package.json'));
		const versions = Object.entries({ ...dependencies, ...devDependencies })
			.filter(([name]) => name.startsWith('@hocuspocus/'))
			.map(([, version]) => version);
		expect(versions.length).toBeGreaterThanOrEqual(4);
		expect(new Set(versions).size).toBe(1);
		expect(versions[0]).toMatch(/^\d+\.\d+\.\d+$/);
	});
});

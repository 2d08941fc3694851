import { describe, expect, it } from 'vitest';
import { safeRedirect } from './redirect.ts';

describe('safeRedirect', () => {
	it('keeps a path on this site with its query', () => {
		expect(safeRedirect('/w/1/inbox?filter=mine')).toBe('/w/1/inbox?filter=mine');
		expect(safeRedirect('/invite/abc')).toBe('/invite/abc');
	});

	it('refuses anything that could lead to another site', () => {
		for (const value of ['//evil.example', '/\\evil.example', 'https://evil.example/', 'evil', '/\t/evil.example', '', null, 42]) {
			expect(safeRedirect(value), String(value)).toBeNull();
		}
	});
});

import { inject } from 'vitest';
import { createPool, type Pool } from '../../src/lib/server/db.ts';

/** A pool on this run's test database (see tests/setup/global.ts). Close it in afterAll. */
export function testPool(max = 5): Pool {
	return createPool({ connectionString: inject('databaseUrl'), max, applicationName: 'chatmai-test' });
}

export function testDatabaseUrl(): string {
	return inject('databaseUrl');
}

/** An e-mail no other test uses. */
export function uniqueEmail(label = 'user'): string {
	return `${label}-${crypto.randomUUID().slice(0, 8)}@example.test`;
}

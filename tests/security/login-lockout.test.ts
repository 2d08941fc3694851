import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import type { RunningApp } from '../../server/app.ts';
import { startTestApp } from '../helpers/app.ts';
import { testPool, uniqueEmail } from '../helpers/db.ts';

/**
 * Issue 11, item 7: knowing someone's e-mail is not enough to lock them out. Guesses slow down
 * (per account and address, with growing delays); the owner's correct password still works from an
 * address they have signed in from. Requests come from distinct loopback addresses (127.0.0.x).
 */
let app: RunningApp;
const db = testPool(2);
const PASSWORD = 'correct horse battery';

beforeAll(async () => {
	app = await startTestApp();
});
afterAll(async () => {
	await app.close();
	await db.end();
});

/** POSTs JSON from a given local address. */
function post(path: string, body: unknown, from: string): Promise<{ status: number; retryAfter: number | null }> {
	const url = new URL(path, app.url);
	const payload = JSON.stringify(body);
	return new Promise((resolve, reject) => {
		const req = request(
			{ host: url.hostname, port: url.port, path: url.pathname, method: 'POST', localAddress: from, headers: { 'content-type': 'application/json', origin: app.url, 'content-length': Buffer.byteLength(payload) } },
			(res) => {
				res.resume();
				res.on('end', () => resolve({ status: res.statusCode!, retryAfter: res.headers['retry-after'] ? Number(res.headers['retry-after']) : null }));
			}
		);
		req.on('error', reject);
		req.end(payload);
	});
}

const login = (email: string, password: string, from: string) => post('/api/v1/auth/login', { email, password }, from);

async function victim(): Promise<string> {
	const email = uniqueEmail('victim');
	// Signing up from 127.0.0.1 opens a session there: that address is now known for the account.
	const res = await post('/api/v1/auth/signup', { email, password: PASSWORD, name: 'Nok', workspaceName: 'Nok Shop' }, '127.0.0.1');
	expect(res.status).toBe(201);
	return email;
}

describe('failed log-ins slow the guesser down and never lock the owner out', () => {
	it('lets the owner in from a known address right after 12 wrong passwords from another one', async () => {
		const email = await victim();
		const statuses: number[] = [];
		for (let i = 0; i < 12; i++) statuses.push((await login(email, `wrong-${i}`, '127.0.0.2')).status);
		console.log(`attacker's 12 guesses answered: ${statuses.join(' ')}`);
		expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
		expect(statuses.at(-1)).toBe(429);
		expect((await login(email, PASSWORD, '127.0.0.1')).status).toBe(200);
	});

	it('makes each next guess from the same address wait twice as long', async () => {
		const email = await victim();
		for (let i = 0; i < 5; i++) expect((await login(email, 'wrong', '127.0.0.3')).status).toBe(401);
		const waits: number[] = [];
		for (let round = 0; round < 3; round++) {
			const refused = await login(email, 'wrong', '127.0.0.3');
			expect(refused.status).toBe(429);
			waits.push(refused.retryAfter!);
			// Time passes: the wait is over (moved in the database rather than slept through).
			await db.query(`update rate_limits set window_start = window_start - make_interval(secs => $2) where key = $1`, [`login:pair:${email}:127.0.0.3`, refused.retryAfter! + 1]);
			expect((await login(email, 'wrong', '127.0.0.3')).status).toBe(401);
		}
		console.log(`Retry-After for guesses 6, 7, 8 from one address: ${waits.join(', ')} s`);
		expect(waits[1]).toBeGreaterThan(waits[0]);
		expect(waits[2]).toBeGreaterThan(waits[1]);
	});

	it('slows a botnet guessing from many addresses, still lets the owner in from a known one, and only delays a new one', async () => {
		const email = await victim();
		const statuses: number[] = [];
		for (let i = 10; i < 40; i++) statuses.push((await login(email, 'wrong', `127.0.1.${i}`)).status);
		const refused = statuses.filter((s) => s === 429).length;
		console.log(`30 guesses from 30 addresses: ${statuses.filter((s) => s === 401).length} checked, ${refused} told to wait`);
		expect(refused).toBeGreaterThan(0);
		expect((await login(email, PASSWORD, '127.0.0.1')).status).toBe(200);
		// A new address of the owner's waits at most a minute: a delay, not a lock.
		await login(email, 'wrong', '127.0.2.1');
		const fresh = await login(email, PASSWORD, '127.0.2.2');
		if (fresh.status === 429) expect(fresh.retryAfter).toBeLessThanOrEqual(60);
		else expect(fresh.status).toBe(200);
	});
});

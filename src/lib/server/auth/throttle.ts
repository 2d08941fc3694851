import type { Queryable } from '../db.ts';
import { hit, reset } from '../rate-limit.ts';
import { DomainError } from '../errors.ts';

export class RateLimited extends DomainError<'rate_limited'> {
	readonly retryAfterSeconds: number;
	constructor(retryAfterSeconds: number) {
		super(429, 'rate_limited', 'Too many attempts. Try again later.', { headers: { 'retry-after': String(retryAfterSeconds) } });
		this.retryAfterSeconds = retryAfterSeconds;
	}
}

/**
 * Password guesses are slowed, never stopped: knowing someone's e-mail must not be enough to lock
 * them out. Three counters, each of attempts since the last success:
 * - per address: a fixed window (one address guessing at many accounts);
 * - per (account, address): after a few free attempts each next one waits twice as long, up to
 *   15 minutes; a guesser only slows itself down;
 * - per account, for addresses the account has never signed in from (a botnet on one account):
 *   the same growing delays, capped at a minute. An address with a session of the account is
 *   never held back by others' guesses, so the owner's correct password still works from there.
 */
const limits = {
	loginPerIp: { limit: 30, windowSeconds: 15 * 60 },
	pair: { free: 5, maxDelaySeconds: 15 * 60 },
	account: { free: 20, maxDelaySeconds: 60 },
	/** A counter with no attempt for this long starts again from zero. */
	quietSeconds: 60 * 60
} as const;

const accountKey = (email: string) => `login:account:${email.trim().toLowerCase()}`;
const pairKey = (email: string, ip: string | undefined) => `login:pair:${email.trim().toLowerCase()}:${ip ?? 'unknown'}`;

/**
 * Records an attempt unless the last one was too recent: after `free` attempts the n-th waits
 * 2^(n-free) seconds after the previous (capped). One statement, so parallel guesses cannot slip
 * through together. Returns the seconds to wait, 0 when the attempt is allowed (and counted).
 */
async function attempt(db: Queryable, key: string, free: number, maxDelaySeconds: number): Promise<number> {
	// Inside ON CONFLICT the row is locked and `rate_limits.*` is its latest version: no race.
	const delay = (hits: string) => `make_interval(secs => least($3::float8, power(2, greatest(0, ${hits} - $2 + 1))))`;
	const blocked = `(rate_limits.hits >= $2 and rate_limits.window_start > now() - make_interval(secs => $4)
	                  and rate_limits.window_start + ${delay('rate_limits.hits')} > now())`;
	const { rows } = await db.query<{ allowed: boolean; wait: number }>(
		`insert into rate_limits (key, window_start, hits) values ($1, now(), 1)
		 on conflict (key) do update set
		   hits = case when ${blocked} then rate_limits.hits
		               when rate_limits.window_start <= now() - make_interval(secs => $4) then 1
		               else rate_limits.hits + 1 end,
		   window_start = case when ${blocked} then rate_limits.window_start else now() end
		 returning window_start = now() as allowed, ceil(extract(epoch from (window_start + ${delay('hits')} - now())))::int as wait`,
		[key, free, maxDelaySeconds, limits.quietSeconds]
	);
	return rows[0].allowed ? 0 : Math.max(1, rows[0].wait);
}

/** Whether the account has (or had) a session from this address. */
async function knownAddress(db: Queryable, email: string, ip: string | undefined): Promise<boolean> {
	if (!ip) return false;
	const { rows } = await db.query(
		`select 1 from sessions s join users u on u.id = s.user_id where lower(u.email) = $1 and s.ip = $2 limit 1`,
		[email.trim().toLowerCase(), ip]
	);
	return rows.length > 0;
}

/**
 * Call before checking a password; throws RateLimited with the seconds to wait.
 * @param perIp attempts from one address per 15 minutes (config.loginLimitPerIp)
 */
export async function throttleLogin(db: Queryable, ip: string | undefined, email: string, perIp: number = limits.loginPerIp.limit): Promise<void> {
	const perAddress = await hit(db, `login:ip:${ip ?? 'unknown'}`, { ...limits.loginPerIp, limit: perIp });
	if (perAddress > 0) throw new RateLimited(perAddress);
	const pair = await attempt(db, pairKey(email, ip), limits.pair.free, limits.pair.maxDelaySeconds);
	if (pair > 0) throw new RateLimited(pair);
	if (await knownAddress(db, email, ip)) return;
	const account = await attempt(db, accountKey(email), limits.account.free, limits.account.maxDelaySeconds);
	if (account > 0) throw new RateLimited(account);
}

/** A successful login clears the account's counters (not the address's). Pass `ip` to clear that address's own too. */
export async function loginSucceeded(db: Queryable, email: string, ip?: string): Promise<void> {
	await reset(db, accountKey(email));
	if (ip !== undefined) await reset(db, pairKey(email, ip));
}

/** @param perHour sign-ups allowed from one address per hour (config.signupLimitPerHour) */
export async function throttleSignup(db: Queryable, ip: string | undefined, perHour: number): Promise<void> {
	const wait = await hit(db, `signup:ip:${ip ?? 'unknown'}`, { limit: perHour, windowSeconds: 60 * 60 });
	if (wait > 0) throw new RateLimited(wait);
}

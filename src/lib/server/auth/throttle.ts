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

/** Per IP and per account, so neither one address nor a botnet on one account gets far. */
const limits = {
	loginPerIp: { limit: 30, windowSeconds: 15 * 60 },
	loginPerAccount: { limit: 10, windowSeconds: 15 * 60 }
} as const;

/** @param perIp attempts from one address per 15 minutes (config.loginLimitPerIp) */
export async function throttleLogin(db: Queryable, ip: string | undefined, email: string, perIp: number = limits.loginPerIp.limit): Promise<void> {
	const waits = await Promise.all([
		hit(db, `login:ip:${ip ?? 'unknown'}`, { ...limits.loginPerIp, limit: perIp }),
		hit(db, `login:account:${email.trim().toLowerCase()}`, limits.loginPerAccount)
	]);
	const wait = Math.max(...waits);
	if (wait > 0) throw new RateLimited(wait);
}

/** A successful login clears the account's counter (not the IP's). */
export async function loginSucceeded(db: Queryable, email: string): Promise<void> {
	await reset(db, `login:account:${email.trim().toLowerCase()}`);
}

/** @param perHour sign-ups allowed from one address per hour (config.signupLimitPerHour) */
export async function throttleSignup(db: Queryable, ip: string | undefined, perHour: number): Promise<void> {
	const wait = await hit(db, `signup:ip:${ip ?? 'unknown'}`, { limit: perHour, windowSeconds: 60 * 60 });
	if (wait > 0) throw new RateLimited(wait);
}

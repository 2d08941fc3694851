import type { Queryable } from './db.ts';

export interface RateLimit {
	/** How many hits a key may make per window. */
	limit: number;
	windowSeconds: number;
}

/**
 * A fixed-window counter kept in PostgreSQL, so every server instance shares it. Returns how
 * many seconds to wait when over the limit, or 0.
 */
export async function hit(db: Queryable, key: string, { limit, windowSeconds }: RateLimit): Promise<number> {
	const { rows } = await db.query<{ hits: number; retry_after: number }>(
		`insert into rate_limits (key, window_start, hits) values ($1, now(), 1)
		 on conflict (key) do update set
		   hits = case when rate_limits.window_start < now() - make_interval(secs => $2) then 1 else rate_limits.hits + 1 end,
		   window_start = case when rate_limits.window_start < now() - make_interval(secs => $2) then now() else rate_limits.window_start end
		 returning hits, ceil(extract(epoch from (window_start + make_interval(secs => $2) - now())))::int as retry_after`,
		[key, windowSeconds]
	);
	return rows[0].hits > limit ? Math.max(1, rows[0].retry_after) : 0;
}

export async function reset(db: Queryable, key: string): Promise<void> {
	await db.query('delete from rate_limits where key = $1', [key]);
}

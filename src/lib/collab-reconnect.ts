/**
 * How a browser's live document socket comes back after it closes (HocuspocusProviderWebsocket's
 * back-off). The provider waits `delay` after a close and tries; while that fails it waits a random
 * time between `minDelay` and `delay × factor^n`, at most `maxDelay` ("full jitter").
 *
 * A lone reconnect (one tab's network blip, the server up) is back after `delay`. When a restart
 * closes every tab at once, their first tries fail together while the server is down, and the
 * jitter spreads the following ones over up to `maxDelay`, so the server, once healthy, sees an
 * even stream of reconnects rather than waves (measured in `npm run bench storm`).
 */
export const RECONNECT = {
	/** @default 500: the provider's own is 1000 */
	delay: 500,
	/** @default 100: the provider's own is 1000, which makes its first retries land in step */
	minDelay: 100,
	factor: 2,
	/** @default 4000: agents notice the provider's 30 s as lost work */
	maxDelay: 4000,
	jitter: true
} as const;

/** The settings before issue 18 (the provider's defaults but `maxDelay`), the bench's baseline. */
export const RECONNECT_BEFORE = { delay: 1000, minDelay: 1000, factor: 2, maxDelay: 4000, jitter: true } as const;

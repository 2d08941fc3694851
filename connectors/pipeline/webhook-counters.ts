/**
 * What the webhook route set aside, counted since this process started (shown on `/healthz` as
 * `webhooks`). Each also has its log line with the platform and account id.
 */
export class WebhookCounters {
	/** Events acknowledged and not stored: no active connection for their account, or its secret did not verify the body. */
	readonly dropped = { unknown_account: 0, unverified_account: 0 };
	/** Signed bodies our parser could not read, stored in `quarantined_webhooks`. */
	quarantined = 0;
	/** Deliveries to a deprecated per-connection URL of a per-app platform. */
	deprecatedUrl = 0;

	snapshot(): { dropped: { unknown_account: number; unverified_account: number }; quarantined: number; deprecated_url: number } {
		return { dropped: { ...this.dropped }, quarantined: this.quarantined, deprecated_url: this.deprecatedUrl };
	}
}

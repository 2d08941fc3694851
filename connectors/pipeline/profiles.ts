import type { Pool } from '../../src/lib/server/db.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { SendError } from '../shared/errors.ts';
import { callContext, type ConnectionCache, type ConnectorRegistry, type PlatformEndpoints } from './connections.ts';

/**
 * Customers' names and pictures from the platforms that offer a profile (LINE, Messenger,
 * Instagram), fetched after the ingest commit (never on its path) and at most once a day per
 * customer. The platform's name becomes `contacts.display_name` (an agent's own name for the
 * customer, `custom_name`, is kept apart and shown first) and the picture `avatar_url`; the
 * identity keeps the profile with the day it was fetched.
 */

const log = logger('profiles');

export interface ProfileFetcherOptions {
	db: Pool;
	connectors: ConnectorRegistry;
	connections: ConnectionCache;
	endpoints: PlatformEndpoints;
	/** Profiles fetched one after another; the rest wait. @default 500 */
	maxQueued?: number;
}

export class ProfileFetcher {
	readonly #options: ProfileFetcherOptions;
	readonly #queue: { connectionId: string; customerIds: string[] }[] = [];
	#running: Promise<void> | null = null;
	#queued = 0;

	constructor(options: ProfileFetcherOptions) {
		this.#options = options;
	}

	/** Asks for the profiles of these customers, when the platform has profiles and they are older than a day. */
	refreshLater(connectionId: string, customerIds: string[]): void {
		if (customerIds.length === 0 || this.#queued >= (this.#options.maxQueued ?? 500)) return;
		this.#queue.push({ connectionId, customerIds });
		this.#queued += customerIds.length;
		this.#running ??= this.#drain().finally(() => (this.#running = null));
	}

	async idle(): Promise<void> {
		while (this.#running) await this.#running;
	}

	async #drain(): Promise<void> {
		for (let job = this.#queue.shift(); job; job = this.#queue.shift()) {
			this.#queued -= job.customerIds.length;
			try {
				await this.#fetch(job.connectionId, job.customerIds);
			} catch (error) {
				log.warn('profiles_failed', { connection_id: job.connectionId, error: errorMessage(error) });
			}
		}
	}

	async #fetch(connectionId: string, customerIds: string[]): Promise<void> {
		const { db, connectors, connections, endpoints } = this.#options;
		const connection = await connections.get(connectionId);
		if (!connection || connection.status !== 'active') return;
		const connector = connectors[connection.platform];
		if (!connector.profile) return;
		const { rows } = await db.query<{ id: string; contact_id: string; external_id: string }>(
			`select id, contact_id, external_id from contact_identities
			  where connection_id = $1 and external_id = any($2::text[]) and (profile_fetched_at is null or profile_fetched_at < now() - interval '1 day')`,
			[connectionId, customerIds]
		);
		for (const identity of rows) {
			let profile;
			try {
				profile = await connector.profile(identity.external_id, callContext(connection, endpoints));
			} catch (error) {
				// Retryable failures are tried at the customer's next message; a refusal waits a day.
				if (error instanceof SendError && error.reason === 'permanent') {
					await db.query(`update contact_identities set profile_fetched_at = now() where id = $1`, [identity.id]);
				}
				log.info('profile_unavailable', { connection_id: connectionId, platform: connection.platform, code: error instanceof SendError ? (error.code ?? null) : null });
				continue;
			}
			const name = profile.name?.trim().slice(0, 120) || null;
			const picture = profile.pictureUrl && /^https:\/\//.test(profile.pictureUrl) ? profile.pictureUrl.slice(0, 2000) : null;
			await db.query(
				`with identity as (
				   update contact_identities set profile = profile || jsonb_strip_nulls(jsonb_build_object('name', $2::text, 'pictureUrl', $3::text)), profile_fetched_at = now()
				    where id = $1 returning contact_id
				 )
				 update contacts set display_name = coalesce($2, display_name), avatar_url = coalesce($3, avatar_url), updated_at = now()
				  where id = (select contact_id from identity)`,
				[identity.id, name, picture]
			);
		}
		if (rows.length > 0) log.info('profiles_fetched', { connection_id: connectionId, platform: connection.platform, customers: rows.length });
	}
}

import { Redis, type Configuration } from '@hocuspocus/extension-redis';
import { logger } from '../../src/lib/server/log.ts';

const log = logger('collab');

/**
 * extension-redis, made to survive Redis going away. Updates published while Redis is down are
 * lost (ioredis gives up on them after `maxRetriesPerRequest`), and extension-redis never
 * exchanges state again for a document that stays loaded, so two instances drifted apart for good
 * after a Redis restart (issue 11's battery, tests/reliability/redis-restart.test.ts).
 *
 * When its subscriber connection is back, this instance asks its peers for what it misses: a
 * SyncStep1 for every loaded document, whose replies (SyncStep2, to this instance's reply channel)
 * carry the difference. Every instance does the same on its own reconnection, so each side gets
 * the other's edits. The request is repeated once after `resyncDelayMs`, for a peer whose own
 * subscription came back a little later than ours.
 */
export class ResyncingRedis extends Redis {
	readonly #resyncDelayMs: number;
	#connectedBefore = false;
	#down = false;

	constructor(configuration: Partial<Configuration> & { resyncDelayMs: number }) {
		const { resyncDelayMs, ...rest } = configuration;
		super(rest);
		this.#resyncDelayMs = resyncDelayMs;
		for (const [role, client] of [['pub', this.pub], ['sub', this.sub]] as const) {
			client.on('error', (error: Error) => {
				// ioredis reconnects by itself; one line per outage, not one per retry.
				if (!this.#down) log.warn('redis_unavailable', { client: role, error: error.message });
				this.#down = true;
			});
		}
		this.sub.on('ready', () => {
			if (this.#connectedBefore) this.#resync();
			this.#connectedBefore = true;
		});
	}

	#resync(): void {
		this.#down = false;
		const request = () => {
			const documents = this.instance ? [...this.instance.documents.entries()] : [];
			for (const [name, document] of documents) {
				// A private method of extension-redis: the same SyncStep1 it publishes after a change.
				this['publishFirstSyncStep'](name, document).catch((error: Error) =>
					log.warn('redis_resync_failed', { document: name, error: error.message })
				);
			}
			return documents.length;
		};
		const documents = request();
		setTimeout(request, this.#resyncDelayMs).unref();
		log.info('redis_resync', { documents });
	}
}

import { Database } from '@hocuspocus/extension-database';
import type { onStoreDocumentPayload } from '@hocuspocus/server';
import type { Queryable } from '../../src/lib/server/db.ts';
import { parseConversationDocName } from '../../src/lib/conversation-doc.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { batched } from '../batch.ts';

const log = logger('collab');

export interface PersistenceConfiguration {
	db: Queryable;
	/** First wait before retrying a failed store, doubled each time. @default 200 */
	retryBaseMs?: number;
	/** Longest wait between two store attempts. @default 30000 */
	retryMaxMs?: number;
	/**
	 * Once `closing()` is true (shutdown), give up after this many attempts so the process can
	 * exit; while running, a store is retried until it succeeds. @default 5
	 */
	attemptsWhileClosing?: number;
	closing: () => boolean;
	/**
	 * Resolves once the document's pending corrections have run (the projection's queue), so a
	 * client's write into a server-owned part is reverted before the state is encoded and never
	 * reaches collab_documents. @default nothing to wait for
	 */
	settled?: (documentName: string) => Promise<void>;
}

/**
 * extension-database's store, waiting first for the document to settle: the state is encoded
 * only after pending reverts, and garbage collection has dropped the reverted content.
 */
class SettledDatabase extends Database {
	private readonly settled?: (documentName: string) => Promise<void>;
	constructor(configuration: ConstructorParameters<typeof Database>[0], settled?: (documentName: string) => Promise<void>) {
		super(configuration);
		this.settled = settled;
	}
	async onStoreDocument(data: onStoreDocumentPayload): Promise<void> {
		await this.settled?.(data.documentName);
		await super.onStoreDocument(data);
	}
}

/**
 * Stores each document's Yjs state (one encoded update) in collab_documents through
 * @hocuspocus/extension-database. Hocuspocus debounces the stores; a store that fails is retried
 * here with backoff and logged, never dropped: the document stays in memory until it is stored.
 */
export function persistence(configuration: PersistenceConfiguration): Database {
	const { db } = configuration;
	const base = configuration.retryBaseMs ?? 200;
	const max = configuration.retryMaxMs ?? 30_000;
	const closingAttempts = configuration.attemptsWhileClosing ?? 5;
	// The documents loading in the same turn (a reconnect storm) are read in one query.
	const stored = batched(async (names: string[]) => {
		const { rows } = await db.query<{ name: string; state: Buffer }>('select name, state from collab_documents where name = any($1::text[])', [names]);
		return new Map(rows.map((row) => [row.name, row.state]));
	});

	return new SettledDatabase({
		async fetch({ documentName }) {
			const state = await stored(documentName);
			return state ? new Uint8Array(state) : null;
		},
		async store({ documentName, state }) {
			const conversationId = parseConversationDocName(documentName);
			if (!conversationId) return;
			for (let attempt = 1; ; attempt++) {
				try {
					// The workspace comes from the conversation itself; a deleted conversation stores nothing.
					await db.query(
						`insert into collab_documents (name, workspace_id, state)
						 select $1, workspace_id, $3 from conversations where id = $2
						 on conflict (name) do update set state = excluded.state, updated_at = now()`,
						[documentName, conversationId, state]
					);
					if (attempt > 1) log.info('store_recovered', { document: documentName, attempt });
					return;
				} catch (error) {
					const giveUp = configuration.closing() && attempt >= closingAttempts;
					log[giveUp ? 'error' : 'warn'](giveUp ? 'store_abandoned' : 'store_failed', {
						document: documentName,
						attempt,
						bytes: state.byteLength,
						error: errorMessage(error)
					});
					if (giveUp) throw error;
					await new Promise((resolve) => setTimeout(resolve, Math.min(base * 2 ** (attempt - 1), max)));
				}
			}
		}
	}, configuration.settled);
}

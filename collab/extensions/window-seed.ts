import type { Extension, afterLoadDocumentPayload } from '@hocuspocus/server';
import type { Queryable } from '../../src/lib/server/db.ts';
import { WINDOW_SIZE, parseConversationDocName } from '../../src/lib/conversation-doc.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { serverOrigin, type CollabContext } from '../context.ts';
import { applySnapshot, loadSnapshots, type ConversationSnapshot } from '../window.ts';
import { batched } from '../batch.ts';

const log = logger('collab');

export interface WindowSeedConfiguration {
	db: Queryable;
	/** @default WINDOW_SIZE (50) */
	windowSize?: number;
}

/**
 * On every load, after the stored state (and, with Redis, the peers' state) is in, brings the
 * document in line with PostgreSQL: the recent messages window, delivery states, meta, labels and
 * notes. A document never stored is seeded this way; a stored one is refreshed, so messages written
 * while no instance had it open still appear.
 */
export class WindowSeed implements Extension {
	extensionName = 'chatmai-window-seed';
	configuration: WindowSeedConfiguration;

	/** Snapshots of the documents loading in the same turn, in one set of queries. */
	private readonly snapshot: (conversationId: string) => Promise<ConversationSnapshot | undefined>;

	constructor(configuration: WindowSeedConfiguration) {
		this.configuration = configuration;
		this.snapshot = batched((ids) => loadSnapshots(configuration.db, ids, configuration.windowSize ?? WINDOW_SIZE));
	}

	async afterLoadDocument({ document, documentName, context }: afterLoadDocumentPayload): Promise<void> {
		const conversationId = parseConversationDocName(documentName);
		if (!conversationId) return;
		try {
			const snapshot = await this.snapshot(conversationId);
			if (!snapshot || document.isDestroyed) return;
			// Stored like any other change: what is stored is what the next load starts from, so the
			// items keep their identity across restarts and a reconnecting tab's copy merges as a no-op.
			// A document already in line with PostgreSQL changes nothing here, and nothing is stored.
			document.transact(
				() => applySnapshot(document, snapshot),
				serverOrigin({
					kind: 'server',
					origin: { source: 'system', reason: 'seed' },
					workspaceId: (context as Partial<CollabContext> | undefined)?.workspaceId ?? '',
					conversationId
				})
			);
		} catch (error) {
			// The document still opens with its stored state; the next load refreshes it.
			log.error('seed_failed', { document: documentName, error: errorMessage(error) });
		}
	}
}

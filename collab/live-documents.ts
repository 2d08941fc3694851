import type { Document, Hocuspocus } from '@hocuspocus/server';
import type { Queryable } from '../src/lib/server/db.ts';
import {
	DELIVERY_STATES,
	WINDOW_SIZE,
	clearDraft,
	conversationDoc,
	conversationDocName,
	insertIntoWindow,
	isStatus,
	isValidLabel,
	setDelivery,
	type DeliveryState,
	type WindowMessage
} from '../src/lib/conversation-doc.ts';
import { LiveDocumentNotFound, type LiveDocuments, type LiveMetaPatch, type LiveOrigin } from '../src/lib/server/ports.ts';
import { logger } from '../src/lib/server/log.ts';
import type { ServerContext } from './context.ts';

const log = logger('collab');

export interface LiveDocumentWriterOptions {
	hocuspocus: Hocuspocus;
	db: Queryable;
	/** @default WINDOW_SIZE (50) */
	windowSize?: number;
}

/**
 * The one API that writes conversation documents from the server side (connector workers, the
 * outbox, the AI, rules). Each call opens a direct connection, changes the document in one
 * transaction whose origin carries the LiveOrigin, and lets go; the document is stored on the
 * usual debounce and, with Redis, reaches every instance. The projection ignores these changes:
 * the caller has already written PostgreSQL.
 */
export class LiveDocumentWriter implements LiveDocuments {
	private readonly hocuspocus: Hocuspocus;
	private readonly db: Queryable;
	private readonly windowSize: number;

	constructor(options: LiveDocumentWriterOptions) {
		this.hocuspocus = options.hocuspocus;
		this.db = options.db;
		this.windowSize = options.windowSize ?? WINDOW_SIZE;
	}

	async appendMessage(workspaceId: string, conversationId: string, message: WindowMessage, origin: LiveOrigin): Promise<void> {
		await this.write(workspaceId, conversationId, origin, (document) => {
			insertIntoWindow(document, message, this.windowSize);
			if (message.direction === 'out' && message.deliveryState) {
				setDelivery(document, message.id, { state: message.deliveryState, reason: message.deliveryError, at: new Date().toISOString() });
			}
		});
	}

	async setDeliveryState(
		workspaceId: string,
		conversationId: string,
		messageId: string,
		state: DeliveryState,
		reason: string | null,
		origin: LiveOrigin
	): Promise<void> {
		if (!DELIVERY_STATES.includes(state)) throw new TypeError(`Unknown delivery state: ${state}`);
		await this.write(workspaceId, conversationId, origin, (document) => {
			setDelivery(document, messageId, { state, reason: state === 'failed' ? reason : null, at: new Date().toISOString() });
		});
	}

	async clearDraft(workspaceId: string, conversationId: string, origin: LiveOrigin): Promise<void> {
		await this.write(workspaceId, conversationId, origin, (document) => clearDraft(document));
	}

	async setMeta(workspaceId: string, conversationId: string, patch: LiveMetaPatch, origin: LiveOrigin): Promise<void> {
		if (patch.status !== undefined && !isStatus(patch.status)) throw new TypeError(`Unknown status: ${patch.status}`);
		if (patch.labels && !patch.labels.every(isValidLabel)) throw new TypeError('Invalid label');
		await this.write(workspaceId, conversationId, origin, (document) => {
			const { meta, labels } = conversationDoc(document);
			if (patch.status !== undefined) {
				meta.set('status', patch.status);
				if (patch.status !== 'snoozed' && patch.snoozedUntil === undefined) meta.set('snoozedUntil', null);
			}
			if (patch.snoozedUntil !== undefined) meta.set('snoozedUntil', patch.snoozedUntil);
			if (patch.assigneeId !== undefined) meta.set('assigneeId', patch.assigneeId);
			if (patch.labels) {
				const wanted = new Set(patch.labels);
				for (const label of [...labels.keys()]) if (!wanted.has(label)) labels.delete(label);
				for (const label of wanted) if (!labels.has(label)) labels.set(label, true);
			}
		});
	}

	private async write(workspaceId: string, conversationId: string, origin: LiveOrigin, change: (document: Document) => void): Promise<void> {
		// Checked before the document is opened: a writer can never load another workspace's document.
		const { rowCount } = await this.db.query('select 1 from conversations where id = $1 and workspace_id = $2', [conversationId, workspaceId]);
		if (!rowCount) throw new LiveDocumentNotFound(conversationId);
		const context: ServerContext = { kind: 'server', origin, workspaceId, conversationId };
		const connection = await this.hocuspocus.openDirectConnection(conversationDocName(conversationId), context);
		try {
			await connection.transact(change);
		} finally {
			// Keep the document warm and store it on the usual debounce, so a burst of writes costs one store.
			await connection.disconnect({ unloadImmediately: false });
		}
		log.debug('live_write', { conversation_id: conversationId, source: origin.source });
	}
}

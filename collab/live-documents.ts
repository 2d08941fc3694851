import type { Document, Hocuspocus } from '@hocuspocus/server';
import type { Queryable } from '../src/lib/server/db.ts';
import { DELIVERY_STATES, WINDOW_SIZE, conversationDoc, conversationDocName, isStatus, isValidLabel, type DeliveryState, type Note, type WindowMessage } from '../src/lib/conversation-doc.ts';
import { clearDraft, insertIntoWindow, insertManyIntoWindow, removeFromDocument, sameNote, setDeliveries, setDelivery } from '../src/lib/server/live-window.ts';
import {
	LiveDocumentNotFound,
	type LiveAppend,
	type LiveDocuments,
	type LiveMetaPatch,
	type LiveOrigin
} from '../src/lib/server/ports.ts';
import type { AiDraftOptions, AiDraftWriter } from '../src/lib/server/ports.ts';
import { AiDraftSession } from './ai-draft.ts';
import { logger } from '../src/lib/server/log.ts';
import type { DeliveryError } from '../src/lib/delivery-errors.ts';
import { missingFromDatabase } from '../src/lib/server/privacy/documents.ts';
import type { ServerContext } from './context.ts';

const log = logger('collab');

export interface LiveDocumentWriterOptions {
	hocuspocus: Hocuspocus;
	db: Queryable;
	/** @default WINDOW_SIZE (50) */
	windowSize?: number;
	/** Documents `appendMessages` writes at once (each may have to load first). @default 8 */
	maxParallelDocuments?: number;
	/**
	 * Whether `appendMessages` loads a document that is not open on this instance. Without Redis
	 * (one instance) it need not: the rows are committed before the call, and every load seeds
	 * the window from PostgreSQL (WindowSeed), so loading a document nobody has open only to
	 * append, store and unload it again is work with no reader. With Redis another instance may
	 * have it open, so it is loaded and the change travels through Redis. @default true
	 */
	loadColdDocuments?: boolean;
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
	private readonly maxParallel: number;
	private readonly loadColdDocuments: boolean;

	constructor(options: LiveDocumentWriterOptions) {
		this.hocuspocus = options.hocuspocus;
		this.db = options.db;
		this.windowSize = options.windowSize ?? WINDOW_SIZE;
		this.maxParallel = Math.max(1, options.maxParallelDocuments ?? 8);
		this.loadColdDocuments = options.loadColdDocuments ?? true;
	}

	async appendMessage(workspaceId: string, conversationId: string, message: WindowMessage, origin: LiveOrigin): Promise<void> {
		await this.write(workspaceId, conversationId, origin, (document) => {
			insertIntoWindow(document, message, this.windowSize);
			if (message.direction === 'out' && message.deliveryState) {
				setDelivery(document, message.id, { state: message.deliveryState, reason: message.deliveryError, at: new Date().toISOString() });
			}
		});
	}

	async appendMessages(appends: readonly LiveAppend[]): Promise<PromiseSettledResult<void>[]> {
		const results: PromiseSettledResult<void>[] = new Array(appends.length);
		const hot: number[] = [];
		appends.forEach((append, index) => {
			if (this.loadColdDocuments || this.isOpen(append.conversationId)) hot.push(index);
			else results[index] = { status: 'fulfilled', value: undefined }; // its next load seeds it from PostgreSQL
		});
		if (hot.length === 0) return results;
		// One workspace check for the whole batch, before any document is opened.
		let workspaceOf: Map<string, string>;
		try {
			const { rows } = await this.db.query<{ id: string; workspace_id: string }>('select id, workspace_id from conversations where id = any($1::uuid[])', [
				[...new Set(hot.map((i) => appends[i].conversationId))]
			]);
			workspaceOf = new Map(rows.map((r) => [r.id, r.workspace_id]));
		} catch (error) {
			for (const index of hot) results[index] = { status: 'rejected', reason: error };
			return results;
		}
		// Entries for one conversation (and origin) share one transaction.
		const groups = new Map<string, { append: LiveAppend; messages: WindowMessage[]; indexes: number[] }>();
		for (const index of hot) {
			const append = appends[index];
			if (workspaceOf.get(append.conversationId) !== append.workspaceId) {
				results[index] = { status: 'rejected', reason: new LiveDocumentNotFound(append.conversationId) };
				continue;
			}
			const key = `${append.conversationId}|${JSON.stringify(append.origin)}`;
			const group = groups.get(key) ?? { append, messages: [], indexes: [] };
			group.messages.push(...append.messages);
			group.indexes.push(index);
			groups.set(key, group);
		}
		const queue = [...groups.values()];
		const worker = async () => {
			for (let group = queue.shift(); group; group = queue.shift()) {
				const { append, messages, indexes } = group;
				let result: PromiseSettledResult<void>;
				try {
					await this.open(append.workspaceId, append.conversationId, append.origin, (document) => this.insertAll(document, messages));
					result = { status: 'fulfilled', value: undefined };
				} catch (error) {
					result = { status: 'rejected', reason: error };
				}
				for (const index of indexes) results[index] = result;
			}
		};
		await Promise.all(Array.from({ length: Math.min(this.maxParallel, queue.length) }, worker));
		return results;
	}

	/** Loaded or loading on this instance (a load in progress seeds after the caller's commit, or is written into). */
	private isOpen(conversationId: string): boolean {
		const name = conversationDocName(conversationId);
		return this.hocuspocus.documents.has(name) || this.hocuspocus.loadingDocuments.has(name);
	}

	/** The window and delivery changes of a batch for one document, inside its transaction. */
	private insertAll(document: Document, messages: WindowMessage[]): void {
		insertManyIntoWindow(document, messages, this.windowSize);
		const outgoing = messages.filter((m) => m.direction === 'out' && m.deliveryState);
		if (outgoing.length === 0) return;
		// A message already in the window may carry an older state than the row it is mirrored from.
		const at = new Date().toISOString();
		setDeliveries(
			document,
			outgoing.map((m) => [m.id, { state: m.deliveryState!, reason: m.deliveryState === 'failed' ? m.deliveryError : null, at }])
		);
	}

	async setDeliveryState(
		workspaceId: string,
		conversationId: string,
		messageId: string,
		state: DeliveryState,
		reason: DeliveryError | null,
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

	async appendNote(workspaceId: string, conversationId: string, note: Note, origin: LiveOrigin): Promise<void> {
		await this.write(workspaceId, conversationId, origin, (document) => {
			const { notes } = conversationDoc(document);
			const current = notes.toArray();
			const copies = current.filter((n) => n?.id === note.id);
			if (copies.length === 1 && sameNote(copies[0], note)) return;
			for (let i = current.length - 1; i >= 0; i--) if (current[i]?.id === note.id) notes.delete(i, 1);
			const now = notes.toArray();
			let index = now.length;
			while (index > 0 && Date.parse(now[index - 1]?.createdAt) > Date.parse(note.createdAt)) index -= 1;
			notes.insert(index, [note]);
		});
	}

	async purge(workspaceId: string, conversationId: string): Promise<void> {
		const { rowCount } = await this.db.query('select 1 from conversations where id = $1 and workspace_id = $2', [conversationId, workspaceId]);
		if (!rowCount) throw new LiveDocumentNotFound(conversationId);
		if (!this.loadColdDocuments && !this.isOpen(conversationId)) {
			const stored = await this.db.query('select 1 from collab_documents where name = $1', [conversationDocName(conversationId)]);
			if (!stored.rowCount) return; // never stored and not open: its next load seeds from PostgreSQL
		}
		// Loading seeds the window from PostgreSQL, which already drops purged messages; notes (and
		// anything else no longer a row) are removed here. The documents' garbage collection drops
		// the removed content, and the store on disconnect writes the state without it.
		const context: ServerContext = { kind: 'server', origin: { source: 'system', reason: 'retention' }, workspaceId, conversationId };
		const connection = await this.hocuspocus.openDirectConnection(conversationDocName(conversationId), context);
		let removed = 0;
		try {
			const missing = await missingFromDatabase(this.db, conversationId, connection.document!);
			await connection.transact((document) => {
				removed = removeFromDocument(document, missing);
			});
		} finally {
			await connection.disconnect({ unloadImmediately: true });
		}
		log.info('live_purged', { conversation_id: conversationId, removed });
	}

	private async write(workspaceId: string, conversationId: string, origin: LiveOrigin, change: (document: Document) => void): Promise<void> {
		// Checked before the document is opened: a writer can never load another workspace's document.
		const { rowCount } = await this.db.query('select 1 from conversations where id = $1 and workspace_id = $2', [conversationId, workspaceId]);
		if (!rowCount) throw new LiveDocumentNotFound(conversationId);
		await this.open(workspaceId, conversationId, origin, change);
	}

	/** One direct connection, one transaction. The caller has checked the workspace. */
	private async open(workspaceId: string, conversationId: string, origin: LiveOrigin, change: (document: Document) => void): Promise<void> {
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

	async openAiDraft(workspaceId: string, conversationId: string, options: AiDraftOptions): Promise<AiDraftWriter> {
		const { rowCount } = await this.db.query('select 1 from conversations where id = $1 and workspace_id = $2', [conversationId, workspaceId]);
		if (!rowCount) throw new LiveDocumentNotFound(conversationId);
		return AiDraftSession.open(this.hocuspocus, { kind: 'server', origin: { source: 'ai' }, workspaceId, conversationId }, options);
	}
}

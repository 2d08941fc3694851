import type { Document, Extension, beforeHandleMessagePayload } from '@hocuspocus/server';
import * as Y from 'yjs';
import { inspectOnce } from '../frames.ts';
import { logger } from '../../src/lib/server/log.ts';

const log = logger('collab');

export interface LimitsConfiguration {
	/** Largest encoded size a document may grow to, in bytes. @default 2 MiB */
	maxDocumentBytes?: number;
}

/** Thrown to refuse one update; Hocuspocus closes that document connection with this code. */
class DocumentTooLarge extends Error {
	readonly code = 4413;
	readonly reason = 'document-too-large';
}

/**
 * Caps a document's size. The size is tracked cheaply (last measured encoded size plus the bytes
 * of updates since) and measured for real only when that estimate passes the cap; an update that
 * would push a document over it is refused and the connection that sent it is closed.
 */
export class Limits implements Extension {
	extensionName = 'chatmai-limits';
	private readonly maxBytes: number;
	private readonly estimates = new WeakMap<Document, number>();

	constructor(configuration: LimitsConfiguration = {}) {
		this.maxBytes = configuration.maxDocumentBytes ?? 2 * 1024 * 1024;
	}

	async beforeHandleMessage({ document, update, socketId }: beforeHandleMessagePayload): Promise<void> {
		// Already decoded at the socket edge (collab/upgrade.ts): a WeakMap hit, no second decode.
		const inspected = inspectOnce(update);
		if (!inspected.ok || inspected.frame.updateBytes === 0) return;
		let estimate = this.estimates.get(document) ?? 0;
		if (estimate + inspected.frame.updateBytes > this.maxBytes) {
			estimate = Y.encodeStateAsUpdate(document).byteLength;
			if (estimate + inspected.frame.updateBytes > this.maxBytes) {
				this.estimates.set(document, estimate);
				log.warn('document_too_large', { document: document.name, socket_id: socketId, bytes: estimate });
				throw new DocumentTooLarge('document too large');
			}
		}
		this.estimates.set(document, estimate + inspected.frame.updateBytes);
	}
}

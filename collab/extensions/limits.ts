import type { Document, Extension, afterLoadDocumentPayload, beforeHandleMessagePayload } from '@hocuspocus/server';
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

interface SizeEstimate {
	/** Encoded size in bytes: measured, plus the bytes of every update applied since. */
	bytes: number;
	/** True while `bytes` is a measurement nothing has changed since (measuring again is pointless). */
	exact: boolean;
}

/**
 * Caps a document's size. The size is measured when the document loads (what was stored counts:
 * the cap holds across reloads), then tracked cheaply (plus the bytes of every update applied,
 * whoever made it) and measured again only when that estimate says an incoming update would pass
 * the cap. An update that would push a document over it is refused and the connection that sent
 * it is closed.
 */
export class Limits implements Extension {
	extensionName = 'chatmai-limits';
	private readonly maxBytes: number;
	private readonly estimates = new WeakMap<Document, SizeEstimate>();

	constructor(configuration: LimitsConfiguration = {}) {
		this.maxBytes = configuration.maxDocumentBytes ?? 2 * 1024 * 1024;
	}

	async afterLoadDocument({ document }: afterLoadDocumentPayload): Promise<void> {
		const estimate = this.measure(document);
		if (estimate.bytes > this.maxBytes) log.warn('document_too_large', { document: document.name, bytes: estimate.bytes, at: 'load' });
		document.on('update', (update: Uint8Array) => {
			const current = this.estimates.get(document);
			if (current) this.estimates.set(document, { bytes: current.bytes + update.byteLength, exact: false });
		});
	}

	async beforeHandleMessage({ document, update, socketId }: beforeHandleMessagePayload): Promise<void> {
		// Already decoded at the socket edge (collab/upgrade.ts): a WeakMap hit, no second decode.
		const inspected = inspectOnce(update);
		if (!inspected.ok || inspected.frame.updateBytes === 0) return;
		let estimate = this.estimates.get(document) ?? this.measure(document);
		if (estimate.bytes + inspected.frame.updateBytes <= this.maxBytes) return;
		if (!estimate.exact) estimate = this.measure(document);
		if (estimate.bytes + inspected.frame.updateBytes > this.maxBytes) {
			log.warn('document_too_large', { document: document.name, socket_id: socketId, bytes: estimate.bytes });
			throw new DocumentTooLarge('document too large');
		}
	}

	private measure(document: Document): SizeEstimate {
		const estimate = { bytes: Y.encodeStateAsUpdate(document).byteLength, exact: true };
		this.estimates.set(document, estimate);
		return estimate;
	}
}

import type { Document, Hocuspocus } from '@hocuspocus/server';
import * as Y from 'yjs';
import { AI_FIELD, AI_PRESENCE_USER, AiSpan, asksToStop, setAiDraft } from '../src/lib/ai-draft-doc.ts';
import { conversationDoc, conversationDocName } from '../src/lib/conversation-doc.ts';
import type { AiDraftOptions, AiDraftOutcome, AiDraftWriter } from '../src/lib/server/ports.ts';
import { logger } from '../src/lib/server/log.ts';
import type { ServerContext } from './context.ts';

const log = logger('collab');

/** What openDirectConnection returns (its class is not exported by name). */
type Connection = Awaited<ReturnType<Hocuspocus['openDirectConnection']>> & { document: Document | null };

/**
 * One AI answer streamed into a conversation's shared draft (the AiDraftWriter port). The direct
 * connection stays open for the whole answer, so the document stays loaded and each piece is one
 * small transaction every watching agent receives at once. The AI shows as a caret in the draft
 * through the document's own (server-side) awareness state. An agent's change inside the AI's span,
 * or an agent's Stop written into the `ai` map, aborts `cancelled`; changes elsewhere in the draft
 * are merged as usual.
 */
export class AiDraftSession implements AiDraftWriter {
	readonly cancelled: AbortSignal;
	private readonly connection: Connection;
	private readonly document: Document;
	private readonly context: ServerContext;
	private readonly span: AiSpan;
	private readonly options: AiDraftOptions;
	private readonly taken = new AbortController();
	private readonly watch: (events: Y.YEvent<any>[], transaction: Y.Transaction) => void;
	private readonly watchStop: (event: Y.YMapEvent<unknown>, transaction: Y.Transaction) => void;
	private finished = false;
	/** The text node the caret was last put at the end of. */
	private caretIn: Y.XmlText | null = null;

	static async open(hocuspocus: Hocuspocus, context: ServerContext, options: AiDraftOptions): Promise<AiDraftSession> {
		const connection = await hocuspocus.openDirectConnection(conversationDocName(context.conversationId), context);
		return new AiDraftSession(connection as Connection, context, options);
	}

	private constructor(connection: Connection, context: ServerContext, options: AiDraftOptions) {
		this.connection = connection;
		this.document = connection.document!;
		this.context = context;
		this.options = options;
		this.cancelled = this.taken.signal;
		this.span = new AiSpan(this.document, options.maxLength);
		this.transact(() => {
			this.span.start();
			setAiDraft(this.document, { state: 'writing', byName: options.requestedBy.name, reason: null, at: new Date().toISOString() });
		});
		this.showCaret();
		this.watch = (events, transaction) => {
			if (this.isOwn(transaction) || this.taken.signal.aborted) return;
			if (this.span.touchedBy(events)) this.taken.abort('taken_over');
		};
		conversationDoc(this.document).draft.observeDeep(this.watch);
		this.watchStop = (event, transaction) => {
			if (!this.isOwn(transaction) && !this.taken.signal.aborted && asksToStop(event)) this.taken.abort('stopped');
		};
		this.document.getMap<unknown>(AI_FIELD).observe(this.watchStop);
	}

	async append(text: string): Promise<boolean> {
		if (this.finished || this.taken.signal.aborted || this.document.isDestroyed) return false;
		let room = true;
		this.transact(() => (room = this.span.append(text)));
		this.showCaret();
		return room;
	}

	async finish(outcome: AiDraftOutcome, finalText?: (text: string) => string): Promise<void> {
		if (this.finished) return;
		this.finished = true;
		conversationDoc(this.document).draft.unobserveDeep(this.watch);
		this.document.getMap<unknown>(AI_FIELD).unobserve(this.watchStop);
		try {
			if (!this.document.isDestroyed) {
				this.document.awareness.setLocalState(null);
				const at = new Date().toISOString();
				const partial = this.span.text().trim() !== '';
				this.transact(() => {
					if (outcome.type === 'done' && finalText && !this.taken.signal.aborted) this.span.replaceWith(finalText(this.span.text()));
					if (outcome.type !== 'taken_over' && !partial) this.span.remove();
					if (outcome.type === 'failed') setAiDraft(this.document, { state: partial ? 'interrupted' : 'failed', byName: this.options.requestedBy.name, reason: outcome.reason, at });
					else setAiDraft(this.document, { state: 'idle', byName: null, reason: null, at });
				});
			}
		} finally {
			await this.connection.disconnect({ unloadImmediately: false });
		}
		log.debug('ai_draft_finished', { conversation_id: this.context.conversationId, outcome: outcome.type });
	}

	private transact(change: () => void): void {
		this.document.transact(change, { source: 'local', context: this.context });
	}

	private isOwn(transaction: Y.Transaction): boolean {
		return (transaction.origin as { context?: unknown } | null)?.context === this.context;
	}

	/**
	 * The AI's caret after its last letter, in y-prosemirror's awareness shape (`cursor.anchor/head`).
	 * A position at the end of a text node stays at its end as the text grows, so the awareness state
	 * changes (and is broadcast) only when a new paragraph starts, not with every token.
	 */
	private showCaret(): void {
		if (this.document.isDestroyed || this.span.paragraphs.length === 0) return;
		const tail = this.span.tail;
		if (tail === this.caretIn) return;
		this.caretIn = tail;
		const at = Y.relativePositionToJSON(Y.createRelativePositionFromTypeIndex(tail, tail.length));
		this.document.awareness.setLocalState({ user: { ...AI_PRESENCE_USER }, viewing: false, typing: true, cursor: { anchor: at, head: at } });
	}
}

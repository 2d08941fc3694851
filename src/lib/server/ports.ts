/**
 * Ports: small interfaces that code in src/lib needs at run time and that server/ fills in at
 * start-up from collab/ and connectors/ (arrows point down; nothing here imports them).
 */
import type { ConversationMeta, DeliveryState, Note, WindowMessage } from '../conversation-doc.ts';
import type { DeliveryError } from '../delivery-errors.ts';
import { DomainError } from './errors.ts';

/**
 * Who is writing into a live document from the server side. Every server-side change carries one
 * as its Yjs transaction origin, so the projection can tell it from an agent's edit and nothing
 * that came from a platform is ever sent back out.
 */
export type LiveOrigin =
	| { source: 'connector'; platform: string }
	| { source: 'outbox' }
	| { source: 'ai' }
	| { source: 'system'; reason?: string };

/** The fields of `meta` a server-side writer may set. Labels are replaced as a whole set. */
export interface LiveMetaPatch extends Partial<ConversationMeta> {
	labels?: string[];
}

/**
 * Writes into live conversation documents; implemented by collab/ (see collab/README.md).
 *
 * Every method is a mirror of something the caller has already committed to PostgreSQL (the
 * message row, the outbox state, the conversation columns): PostgreSQL stays the source of truth,
 * and the collab server does not project these writes back into rows. Each method works whether or
 * not an agent has the document open, and across instances when Redis is configured. Each throws
 * `LiveDocumentNotFound` when the conversation is not in that workspace.
 */
export interface LiveDocuments {
	/**
	 * Puts a message into the recent window at its (sentAt, id) place and trims the window.
	 * Idempotent by message id, so a redelivered webhook or a retried job is harmless.
	 */
	appendMessage(workspaceId: string, conversationId: string, message: WindowMessage, origin: LiveOrigin): Promise<void>;
	/**
	 * `appendMessage` for a batch that may span many conversations (the ingest mirror): one
	 * workspace check for the whole batch and one document transaction per conversation, however
	 * many of its messages the batch holds. An outgoing message's `deliveryState` is shown as its
	 * delivery state. Never rejects as a whole: resolves with one settled result per entry, in
	 * order, so one conversation's failure (`LiveDocumentNotFound`, a document that will not load)
	 * does not hold back the others. Idempotent by message id, like `appendMessage`.
	 */
	appendMessages(appends: readonly LiveAppend[]): Promise<PromiseSettledResult<void>[]>;
	/** Shows the delivery state of an outgoing message (no-op when it has left the window). */
	setDeliveryState(
		workspaceId: string,
		conversationId: string,
		messageId: string,
		state: DeliveryState,
		reason: DeliveryError | null,
		origin: LiveOrigin
	): Promise<void>;
	/** Empties the shared draft for everyone, e.g. once the reply command is accepted. */
	clearDraft(workspaceId: string, conversationId: string, origin: LiveOrigin): Promise<void>;
	/** Mirrors status, snooze, assignee or labels changed outside the document (REST, AI, rules). */
	setMeta(workspaceId: string, conversationId: string, patch: LiveMetaPatch, origin: LiveOrigin): Promise<void>;
	/**
	 * Shows a note written outside the document (the notes command, e.g. a supervisor's) at its
	 * time's place; idempotent by note id, a copy that differs from `note` is replaced.
	 */
	appendNote(workspaceId: string, conversationId: string, note: Note, origin: LiveOrigin): Promise<void>;
	/**
	 * Removes deleted history (retention) from the live document and its stored state: every
	 * message and note that is no longer a row, content included, so the stored Yjs state no
	 * longer holds it. Works whether or not the document is open; resolves once it is stored.
	 */
	purge(workspaceId: string, conversationId: string): Promise<void>;
	/**
	 * Opens the AI's span in the shared draft, for one streamed answer written with origin
	 * `{ source: 'ai' }`: every agent watching sees the text arrive, the AI's caret, and the document's
	 * `ai` state (src/lib/ai-draft-doc.ts). Unlike the other methods this is not a mirror of a row:
	 * the draft is live state only, and nothing of it is stored elsewhere.
	 */
	openAiDraft(workspaceId: string, conversationId: string, options: AiDraftOptions): Promise<AiDraftWriter>;
}

export interface AiDraftOptions {
	/** The agent who asked, shown to the others. */
	requestedBy: { id: string; name: string };
	/** The platform's longest message: the span stops growing there. */
	maxLength: number;
}

/** How an AI draft ended; see `AiDraftWriter.finish`. */
export type AiDraftOutcome =
	| { type: 'done' }
	/** An agent pressed Stop: the text so far stays. */
	| { type: 'stopped' }
	/** An agent edited inside the AI's text: it is theirs now. */
	| { type: 'taken_over' }
	/** Ollama failed: the text so far stays, marked `interrupted` (or the empty span goes, marked `failed`). */
	| { type: 'failed'; reason: string };

/** One AI draft being written into a live document. */
export interface AiDraftWriter {
	/**
	 * Aborts with reason `'taken_over'` when an agent edits inside the AI's text or deletes it, or
	 * `'stopped'` when an agent asks it to stop through the document (on any instance).
	 */
	readonly cancelled: AbortSignal;
	/** Appends a piece of the answer; resolves false once the span is as long as the platform allows. */
	append(text: string): Promise<boolean>;
	/**
	 * Ends the draft: the AI's caret goes, the `ai` state says how it ended. On `done` the text is
	 * replaced by `finalText(text)` when that differs (quotes, a speaker label, a cut at a sentence end).
	 */
	finish(outcome: AiDraftOutcome, finalText?: (text: string) => string): Promise<void>;
}

/** Messages for one conversation's window, in any order; see `LiveDocuments.appendMessages`. */
export interface LiveAppend {
	workspaceId: string;
	conversationId: string;
	messages: WindowMessage[];
	origin: LiveOrigin;
}

/** The conversation does not exist in the workspace a writer named. */
export class LiveDocumentNotFound extends DomainError<'not_found'> {
	readonly reason = 'not_found' as const;
	constructor(conversationId: string) {
		super(404, 'not_found', `Conversation ${conversationId} not found in this workspace`);
	}
}

/**
 * Whose access was just taken away or changed: one user (signed out, session or API token gone,
 * role changed, removed from a workspace, account deleted) or everyone in one workspace (closed
 * for deletion).
 */
export type AccessChange = { type: 'user'; userId: string } | { type: 'workspace'; workspaceId: string };

/**
 * Told about every access change, after it is committed, so that what was decided once per open
 * connection (the live documents' sockets) is decided again; implemented by collab/, which
 * re-checks every open connection concerned on every instance (through Redis when configured)
 * and closes it or makes it read-only. Never throws; the re-check runs in the background.
 */
export interface AccessChanges {
	accessChanged(change: AccessChange): void;
}

export interface Ports {
	live: LiveDocuments;
}

/**
 * What changed in a workspace, pushed to its members' browsers over the live channel (the
 * `workspace:<uuid>` document on `/collab`, see collab/README.md "The workspace feed").
 * - `conversation`: these conversations' list rows changed (a message, status, assignee, labels,
 *   read); the feed reads the rows once and pushes them to every member.
 * - `notification`: a notification was created for this user (only their connections hear it).
 * - `report`: the dashboard's figures may have changed.
 */
export type WorkspaceEvent =
	| { type: 'conversation'; ids: string[] }
	| { type: 'notification'; userId: string }
	| { type: 'report' };

/**
 * Pushes workspace events to the members connected on every instance (through Redis when
 * configured); implemented by collab/. Call it after the transaction that made the change has
 * committed. Never throws and never waits: delivery runs in the background, and a browser that
 * missed something catches up through `GET /api/v1/conversations/changes` when it reconnects.
 */
export interface WorkspaceFeed {
	publish(workspaceId: string, event: WorkspaceEvent): void;
}

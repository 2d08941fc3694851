import * as Y from 'yjs';
import { conversationDoc } from './conversation-doc.ts';

/**
 * The AI's part of a conversation document, shared by the browser and the server (no node imports).
 *
 * | name | type  | written by |
 * |------|-------|------------|
 * | `ai` | Y.Map | the server while it streams a draft (`state`, `byName`, `reason`, `at`); an agent asks it to stop (`stopRequestedAt`) or dismisses an `interrupted` or `failed` notice |
 *
 * The AI writes its text into the shared `draft` (Tiptap's paragraphs, see conversation-doc.ts) as
 * paragraphs of its own, the *span*: one paragraph per line, after what the agents wrote, or in
 * place of an empty draft. Agents edit around it live; an edit inside the span hands it over to them.
 */

export const AI_FIELD = 'ai';

/**
 * `writing`: a stream is running. `interrupted`: it failed after writing some text, which stays
 * in the draft unfinished. `failed`: it failed before writing anything. `idle`: nothing to show.
 */
export const AI_DRAFT_STATES = ['idle', 'writing', 'interrupted', 'failed'] as const;
export type AiDraftState = (typeof AI_DRAFT_STATES)[number];

export interface AiDraftStatus {
	state: AiDraftState;
	/** Who asked for the draft (shown as "asked by"). */
	byName: string | null;
	/** Why it stopped, for `interrupted` and `failed` (an AiUnavailableReason). */
	reason: string | null;
	/** ISO 8601: when the state was set. */
	at: string | null;
}

/** The presence the server shows for the AI while it writes: its caret in the draft, never a viewer. */
export const AI_PRESENCE_USER = { id: 'ai', name: 'AI', color: '#7c3aed', role: 'ai' } as const;

export function readAiDraft(doc: Y.Doc): AiDraftStatus {
	const map = doc.getMap<unknown>(AI_FIELD);
	const state = map.get('state');
	const text = (key: string) => {
		const value = map.get(key);
		return typeof value === 'string' ? value : null;
	};
	return {
		state: AI_DRAFT_STATES.includes(state as AiDraftState) ? (state as AiDraftState) : 'idle',
		byName: text('byName'),
		reason: text('reason'),
		at: text('at')
	};
}

export function setAiDraft(doc: Y.Doc, status: AiDraftStatus): void {
	const map = doc.getMap<unknown>(AI_FIELD);
	doc.transact(() => {
		for (const [key, value] of Object.entries(status)) if (map.get(key) !== value) map.set(key, value);
		if (status.state !== 'writing' && map.has(STOP_KEY)) map.delete(STOP_KEY);
	});
}

const STOP_KEY = 'stopRequestedAt';

/**
 * An agent's Stop, through the document: the server writing the draft (on whichever instance)
 * sees it and aborts its request to Ollama. Only while the AI is writing.
 */
export function requestAiStop(doc: Y.Doc): void {
	if (readAiDraft(doc).state === 'writing') doc.getMap<unknown>(AI_FIELD).set(STOP_KEY, new Date().toISOString());
}

/** Whether a change to the `ai` map asked the AI to stop. */
export function asksToStop(event: Y.YMapEvent<unknown>): boolean {
	return event.keysChanged.has(STOP_KEY) && event.target.get(STOP_KEY) !== undefined;
}

/**
 * A `writing` state that no server answers any more (its process died mid-stream): shown as
 * interrupted, so the text is marked and the agents can dismiss it.
 */
export function markAiDraftStale(doc: Y.Doc, at: string): void {
	const status = readAiDraft(doc);
	if (status.state === 'writing' && status.at === at) setAiDraft(doc, { ...status, state: 'interrupted', reason: 'bad_response', at: new Date().toISOString() });
}

/** An agent closes the notice of an interrupted or failed draft (a running one is stopped over REST). */
export function dismissAiDraft(doc: Y.Doc): void {
	const { state } = readAiDraft(doc);
	if (state === 'interrupted' || state === 'failed') setAiDraft(doc, { state: 'idle', byName: null, reason: null, at: new Date().toISOString() });
}

/**
 * The AI's paragraphs in the draft. Every method is called inside the writer's transaction.
 * `maxLength` is the platform's longest message: the span never grows past it.
 */
export class AiSpan {
	readonly paragraphs: Y.XmlElement[] = [];
	private readonly fragment: Y.XmlFragment;
	private readonly maxLength: number;
	private length = 0;
	private pendingBreak = false;

	constructor(doc: Y.Doc, maxLength: number) {
		this.fragment = conversationDoc(doc).draft;
		this.maxLength = maxLength;
	}

	/** Opens the span: one empty paragraph after the draft's text, or in place of an empty draft. */
	start(): void {
		const blank = this.fragment.toArray().every((node) => node instanceof Y.XmlElement && node.nodeName === 'paragraph' && plain(node).trim() === '');
		if (blank && this.fragment.length) this.fragment.delete(0, this.fragment.length);
		this.paragraph();
	}

	/** The span is as long as the platform allows. */
	get full(): boolean {
		return this.length >= this.maxLength;
	}

	/** The span's text, one line per paragraph. */
	text(): string {
		return this.paragraphs.map(plain).join('\n');
	}

	/** The last text node, where the next token (and the AI's caret) goes. */
	get tail(): Y.XmlText {
		return this.paragraphs.at(-1)!.get(0) as Y.XmlText;
	}

	/**
	 * Appends a piece of the model's answer: a newline starts a new paragraph, whitespace before the
	 * first letter is dropped, and nothing goes past `maxLength`. Returns false once the span is full.
	 */
	append(piece: string): boolean {
		const lines = piece.split('\n');
		lines.forEach((line, i) => {
			if (i > 0 && this.length > 0) this.pendingBreak = true;
			if (this.length === 0) line = line.trimStart();
			if (!line || this.full) return;
			if (this.pendingBreak) {
				if (this.length + 1 >= this.maxLength) return void (this.length = this.maxLength);
				this.paragraph();
				this.length += 1;
				this.pendingBreak = false;
			}
			const room = this.maxLength - this.length;
			const chars = [...line];
			const fits = chars.length <= room ? line : chars.slice(0, room).join('');
			this.tail.insert(this.tail.length, fits);
			this.length += Math.min(chars.length, room);
		});
		return !this.full;
	}

	/**
	 * Replaces the span's text with `text` (the cleaned, fitted answer) when they differ. Called
	 * once at the end, only while no agent has edited inside the span.
	 */
	replaceWith(text: string): void {
		if (text === this.text()) return;
		const index = this.indexes()[0];
		if (index === undefined) return;
		this.fragment.delete(index, this.paragraphs.length);
		this.paragraphs.length = 0;
		const lines = text ? text.split('\n') : [];
		const nodes = lines.map((line) => {
			const paragraph = new Y.XmlElement('paragraph');
			const content = new Y.XmlText();
			if (line) content.insert(0, line);
			paragraph.insert(0, [content]);
			return paragraph;
		});
		if (nodes.length) this.fragment.insert(index, nodes);
		this.paragraphs.push(...nodes);
		this.length = [...text].length;
	}

	/** Removes the span (it is empty, e.g. the model failed before its first token). */
	remove(): void {
		const index = this.indexes()[0];
		if (index !== undefined) this.fragment.delete(index, this.paragraphs.length);
		this.paragraphs.length = 0;
	}

	/**
	 * Whether someone else's change touched the span: an edit inside one of its paragraphs, one of
	 * them deleted, or a paragraph put between two of them. Edits before or after it do not count.
	 */
	touchedBy(events: readonly Y.YEvent<any>[]): boolean {
		const own = new Set<Y.AbstractType<any>>(this.paragraphs.flatMap((p) => [p, ...p.toArray()]));
		if (events.some((event) => own.has(event.target))) return true;
		if (!events.some((event) => event.target === this.fragment)) return false;
		const indexes = this.indexes();
		return indexes.length !== this.paragraphs.length || indexes.some((index, i) => i > 0 && index !== indexes[i - 1] + 1);
	}

	private indexes(): number[] {
		const children = this.fragment.toArray();
		return this.paragraphs.map((p) => children.indexOf(p)).filter((index) => index >= 0);
	}

	private paragraph(): void {
		const paragraph = new Y.XmlElement('paragraph');
		paragraph.insert(0, [new Y.XmlText()]);
		this.fragment.insert(this.fragment.length, [paragraph]);
		this.paragraphs.push(paragraph);
	}
}

function plain(node: Y.XmlElement): string {
	return node
		.toArray()
		.map((child) => (child instanceof Y.XmlText ? (child.toDelta() as { insert: unknown }[]).map((op) => (typeof op.insert === 'string' ? op.insert : '')).join('') : ''))
		.join('');
}

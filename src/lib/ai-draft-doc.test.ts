import { describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { AiSpan, dismissAiDraft, markAiDraftStale, readAiDraft, requestAiStop, setAiDraft } from './ai-draft-doc.ts';
import { conversationDoc, draftText } from './conversation-doc.ts';

/** The AI's span in the shared draft, on a bare Y.Doc. */

function paragraph(text: string): Y.XmlElement {
	const p = new Y.XmlElement('paragraph');
	const t = new Y.XmlText();
	t.insert(0, text);
	p.insert(0, [t]);
	return p;
}

function spanIn(doc: Y.Doc, max = 100): AiSpan {
	const span = new AiSpan(doc, max);
	doc.transact(() => span.start());
	return span;
}

describe('the AI span', () => {
	it('turns newlines into paragraphs and drops whitespace before the first letter', () => {
		const doc = new Y.Doc();
		const span = spanIn(doc);
		for (const piece of ['\n  Hello', ' there.\nLine', ' two']) span.append(piece);
		expect(draftText(doc)).toBe('Hello there.\nLine two');
		expect(span.paragraphs).toHaveLength(2);
	});

	it('replaces an empty draft but goes below an agent’s text', () => {
		const doc = new Y.Doc();
		const { draft } = conversationDoc(doc);
		draft.insert(0, [paragraph('')]);
		spanIn(doc).append('AI');
		expect(draft.length).toBe(1);
		draft.insert(0, [paragraph('Agent')]);
		spanIn(doc).append('More');
		expect(draftText(doc)).toBe('Agent\nAI\nMore');
	});

	it('never grows past the platform’s length', () => {
		const doc = new Y.Doc();
		const span = spanIn(doc, 10);
		expect(span.append('12345')).toBe(true);
		expect(span.append('6789ABC')).toBe(false);
		expect(span.text()).toBe('123456789A');
		expect(span.append('more')).toBe(false);
		expect(span.text()).toBe('123456789A');
	});

	it('counts an edit inside it, a deletion of it, or a paragraph put into it as touching it; an edit beside it does not', () => {
		const doc = new Y.Doc();
		const { draft } = conversationDoc(doc);
		const span = spanIn(doc);
		span.append('one\ntwo');
		const touched = (change: () => void) => {
			let result = false;
			const watch = (events: Y.YEvent<any>[]) => (result = span.touchedBy(events));
			draft.observeDeep(watch);
			doc.transact(change);
			draft.unobserveDeep(watch);
			return result;
		};
		expect(touched(() => draft.insert(0, [paragraph('before')]))).toBe(false);
		expect(touched(() => draft.insert(draft.length, [paragraph('after')]))).toBe(false);
		expect(touched(() => draft.insert(2, [paragraph('between')]))).toBe(true);
		draft.delete(2, 1);
		expect(touched(() => (span.tail as Y.XmlText).insert(0, 'x'))).toBe(true);
		expect(touched(() => draft.delete(1, 1))).toBe(true);
	});

	it('is replaced by the fitted text at the end, in place', () => {
		const doc = new Y.Doc();
		conversationDoc(doc).draft.insert(0, [paragraph('Agent')]);
		const span = spanIn(doc);
		span.append('"Thanks!"');
		doc.transact(() => span.replaceWith('Thanks!'));
		expect(draftText(doc)).toBe('Agent\nThanks!');
	});
});

describe('the AI state', () => {
	it('reads idle by default, and an agent can dismiss an interrupted notice but not a running draft', () => {
		const doc = new Y.Doc();
		expect(readAiDraft(doc)).toEqual({ state: 'idle', byName: null, reason: null, at: null });
		setAiDraft(doc, { state: 'writing', byName: 'Somchai', reason: null, at: '2026-01-05T00:00:00.000Z' });
		dismissAiDraft(doc);
		expect(readAiDraft(doc).state).toBe('writing');
		setAiDraft(doc, { state: 'interrupted', byName: 'Somchai', reason: 'timeout', at: '2026-01-05T00:00:00.000Z' });
		dismissAiDraft(doc);
		expect(readAiDraft(doc).state).toBe('idle');
	});

	it('asks to stop only a running draft, and marks a writing state no server answered as interrupted', () => {
		const doc = new Y.Doc();
		const ai = doc.getMap('ai');
		requestAiStop(doc);
		expect(ai.has('stopRequestedAt')).toBe(false);
		setAiDraft(doc, { state: 'writing', byName: 'Somchai', reason: null, at: 'T1' });
		requestAiStop(doc);
		expect(ai.has('stopRequestedAt')).toBe(true);
		markAiDraftStale(doc, 'T0');
		expect(readAiDraft(doc).state).toBe('writing');
		markAiDraftStale(doc, 'T1');
		expect(readAiDraft(doc)).toMatchObject({ state: 'interrupted', reason: 'bad_response' });
		expect(ai.has('stopRequestedAt')).toBe(false);
	});
});

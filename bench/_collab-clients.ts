import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import * as decoding from 'lib0/decoding';
import { Awareness, applyAwarenessUpdate, encodeAwarenessUpdate } from 'y-protocols/awareness';
import { HocuspocusProvider } from '@hocuspocus/provider';
import type { PresenceUser } from '../src/lib/conversation-doc.ts';

/**
 * The bench's clients, all in the parent process (one clock): agents on a Hocuspocus server
 * (HocuspocusProvider, one WebSocket each, as a browser tab has) or on the raw relay (a bare
 * WebSocket that sends the same Hocuspocus frames, byte for byte, and applies what it receives).
 */

export interface Agent {
	doc: Y.Doc;
	awareness: Awareness;
	/** Resolves once the first sync is done (relay: once the socket is open). */
	ready: Promise<void>;
	close(): void;
}

const SYNC = 0;
const AWARENESS = 1;
const SYNC_UPDATE = 2;

export function providerAgent(url: string, name: string, token: string, user: PresenceUser): Agent {
	const doc = new Y.Doc();
	let resolve!: () => void;
	let reject!: (error: Error) => void;
	const ready = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
	const provider = new HocuspocusProvider({
		url,
		name,
		token,
		document: doc,
		onSynced: () => resolve(),
		onAuthenticationFailed: ({ reason }) => reject(new Error(`authentication failed: ${reason}`))
	});
	provider.awareness!.setLocalState({ user, viewing: true });
	return {
		doc,
		awareness: provider.awareness!,
		ready,
		close: () => {
			provider.destroy();
			doc.destroy();
		}
	};
}

export function relayAgent(url: string, name: string, user: PresenceUser): Agent {
	const doc = new Y.Doc();
	const awareness = new Awareness(doc);
	const ws = new WebSocket(url);
	ws.binaryType = 'arraybuffer';
	const remote = Symbol('remote');
	const frame = (type: number, write: (encoder: encoding.Encoder) => void) => {
		const encoder = encoding.createEncoder();
		encoding.writeVarString(encoder, name);
		encoding.writeVarUint(encoder, type);
		write(encoder);
		return encoding.toUint8Array(encoder);
	};
	const sendIfOpen = (bytes: Uint8Array<ArrayBuffer>) => ws.readyState === WebSocket.OPEN && ws.send(bytes);
	doc.on('update', (update: Uint8Array, origin: unknown) => {
		if (origin === remote) return;
		sendIfOpen(
			frame(SYNC, (e) => {
				encoding.writeVarUint(e, SYNC_UPDATE);
				encoding.writeVarUint8Array(e, update);
			})
		);
	});
	awareness.on('update', ({ added, updated, removed }: { added: number[]; updated: number[]; removed: number[] }, origin: unknown) => {
		if (origin === remote) return;
		const update = encodeAwarenessUpdate(awareness, [...added, ...updated, ...removed]);
		sendIfOpen(frame(AWARENESS, (e) => encoding.writeVarUint8Array(e, update)));
	});
	ws.onmessage = (event) => {
		const decoder = decoding.createDecoder(new Uint8Array(event.data as ArrayBuffer));
		decoding.readVarString(decoder);
		const type = decoding.readVarUint(decoder);
		if (type === SYNC) {
			decoding.readVarUint(decoder);
			Y.applyUpdate(doc, decoding.readVarUint8Array(decoder), remote);
		} else if (type === AWARENESS) {
			applyAwarenessUpdate(awareness, decoding.readVarUint8Array(decoder), remote);
		}
	};
	const ready = new Promise<void>((resolve, reject) => {
		ws.onopen = () => {
			awareness.setLocalState({ user, viewing: true });
			resolve();
		};
		ws.onerror = () => reject(new Error('relay socket failed'));
	});
	return {
		doc,
		awareness,
		ready,
		close: () => {
			awareness.destroy();
			ws.close();
			doc.destroy();
		}
	};
}

/** The draft's first paragraph's text, where the typists type (Tiptap's shape: draft > paragraph > text). */
export function draftText(doc: Y.Doc): Y.XmlText | null {
	const paragraph = doc.getXmlFragment('draft').get(0);
	if (!(paragraph instanceof Y.XmlElement)) return null;
	const text = paragraph.get(0);
	return text instanceof Y.XmlText ? text : null;
}

export function createParagraph(doc: Y.Doc): void {
	doc.transact(() => {
		const paragraph = new Y.XmlElement('paragraph');
		paragraph.insert(0, [new Y.XmlText()]);
		doc.getXmlFragment('draft').insert(0, [paragraph]);
	});
}

/** Milliseconds on CLOCK_MONOTONIC (µs precision): one clock for every process on the machine. */
export function monotonicMs(): number {
	return Number(process.hrtime.bigint() / 1000n) / 1000;
}

/** Keystrokes as typed: client id, clock once typed, time, measured (1) or warm-up (0). */
export type Sent = [client: number, clock: number, at: number, measured: 0 | 1];
/** A receiver's transaction that advanced a typist's clock to `clock`, and when it ended. */
export type Received = [receiver: number, client: number, clock: number, at: number];

/**
 * Per measured keystroke and per receiving agent: from just before the typist's local transaction
 * to the end of the receiver's transaction that applied it. A keystroke is known by the typist's
 * client id and Yjs clock, so the update's content is what a real editor sends.
 */
export function latencies(sent: Sent[], received: Received[], receiversPerKeystroke: number): { samples: number[]; keystrokes: number; missing: number } {
	const byClient = new Map<number, Sent[]>();
	for (const s of sent) {
		let list = byClient.get(s[0]);
		if (!list) byClient.set(s[0], (list = []));
		list.push(s);
	}
	for (const list of byClient.values()) list.sort((a, b) => a[1] - b[1]);
	const streams = new Map<string, Received[]>();
	for (const r of received) {
		const key = `${r[0]}:${r[1]}`;
		let list = streams.get(key);
		if (!list) streams.set(key, (list = []));
		list.push(r);
	}
	const samples: number[] = [];
	let delivered = 0;
	for (const stream of streams.values()) {
		const log = byClient.get(stream[0][1]);
		if (!log) continue;
		stream.sort((a, b) => a[2] - b[2]);
		let next = 0;
		for (const [, , clock, at] of stream) {
			while (next < log.length && log[next][1] <= clock) {
				const [, , typedAt, measured] = log[next++];
				if (measured) {
					samples.push(at - typedAt);
					delivered++;
				}
			}
		}
	}
	const keystrokes = sent.filter((s) => s[3]).length;
	return { samples: samples.sort((a, b) => a - b), keystrokes, missing: keystrokes * receiversPerKeystroke - delivered };
}

export function percentile(sorted: number[], p: number): number {
	if (sorted.length === 0) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

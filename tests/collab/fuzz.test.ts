import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import * as Y from 'yjs';
import * as encoding from 'lib0/encoding';
import { connect, disconnect, sharedServer, startServer, waitFor } from './helpers.ts';
import { conversationDoc, draftText, readLabels } from '../../src/lib/conversation-doc.ts';
import { addLabel } from '../../src/lib/conversation-edits.ts';
import { inspectFrame } from '../../collab/frames.ts';
import { seededRandom } from '../helpers/random.ts';

const shared = sharedServer();
const { db } = shared;

function frame(write: (encoder: encoding.Encoder) => void): Uint8Array {
	const encoder = encoding.createEncoder();
	write(encoder);
	return encoding.toUint8Array(encoder);
}

function authFrame(name: string, token: string): Uint8Array {
	return frame((e) => {
		encoding.writeVarString(e, name);
		encoding.writeVarUint(e, 2);
		encoding.writeVarUint(e, 0);
		encoding.writeVarString(e, token);
	});
}

function updateFrame(name: string, update: Uint8Array): Uint8Array {
	return frame((e) => {
		encoding.writeVarString(e, name);
		encoding.writeVarUint(e, 0);
		encoding.writeVarUint(e, 2);
		encoding.writeVarUint8Array(e, update);
	});
}

/** Opens a raw socket, sends `frames`, and resolves with the close code once the server closes it. */
function blast(frames: Array<Uint8Array | string>): Promise<number> {
	return new Promise((resolve) => {
		const ws = new WebSocket(shared.server.url);
		const timer = setTimeout(() => ws.terminate(), 5000);
		ws.on('open', () => {
			for (const f of frames) if (ws.readyState === WebSocket.OPEN) ws.send(f);
		});
		ws.on('error', () => {});
		ws.on('close', (code) => {
			clearTimeout(timer);
			resolve(code);
		});
	});
}

function sampleUpdate(): Uint8Array {
	const doc = new Y.Doc();
	const p = new Y.XmlElement('paragraph');
	p.insert(0, [new Y.XmlText('a perfectly ordinary reply to a customer')]);
	conversationDoc(doc).draft.insert(0, [p]);
	conversationDoc(doc).meta.set('status', 'pending');
	return Y.encodeStateAsUpdate(doc);
}

describe('hostile input', () => {
	it('the frame check refuses truncated updates and accepts whole ones', () => {
		const update = sampleUpdate();
		expect(inspectFrame(updateFrame(shared.fx.docName, update)).ok).toBe(true);
		for (let cut = 1; cut < update.length; cut += 3) expect(inspectFrame(updateFrame(shared.fx.docName, update.slice(0, cut))).ok).toBe(false);
	});

	it('thousands of malformed frames and truncated updates close the senders while the server keeps serving others', async () => {
		const a = connect(shared.server.url, shared.fx.docName, shared.fx.agentA.token);
		const b = connect(shared.server.url, shared.fx.docName, shared.fx.agentB.token);
		expect(await a.ready).toBe(true);
		expect(await b.ready).toBe(true);
		const next = seededRandom(42);
		const garbage = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
		const update = sampleUpdate();

		// Unauthenticated noise: random bytes, text frames, empty frames, a server-only opcode.
		const noise = Array.from({ length: 20 }, (_, i) =>
			blast(
				Array.from({ length: 200 }, (_, j) =>
					j % 50 === 0 ? 'not binary' : j % 7 === 0 ? new Uint8Array(0) : j % 11 === 0 ? frame((e) => (encoding.writeVarString(e, shared.fx.docName), encoding.writeVarUint(e, 6))) : garbage(1 + (i * j) % 300)
				)
			)
		);
		// Authenticated agents sending truncated and bit-flipped updates, and cut-off frames.
		const hostile = Array.from({ length: 40 }, (_, i) => {
			const frames: Uint8Array[] = [authFrame(shared.fx.docName, shared.fx.agentA.token)];
			for (let j = 0; j < 25; j++) {
				const kind = (i + j) % 3;
				if (kind === 0) frames.push(updateFrame(shared.fx.docName, update.slice(0, 1 + Math.floor(next() * (update.length - 1)))));
				else if (kind === 1) {
					const flipped = update.slice();
					flipped[Math.floor(next() * flipped.length)] ^= 1 << Math.floor(next() * 8);
					frames.push(updateFrame(shared.fx.docName, flipped));
				} else frames.push(updateFrame(shared.fx.docName, update).slice(0, 1 + Math.floor(next() * 40)));
			}
			return blast(frames);
		});
		const codes = await Promise.all([...noise, ...hostile]);
		expect(codes.slice(0, noise.length).every((code) => code === 1003 || code === 1007)).toBe(true);
		// Every hostile agent sent something broken, and was cut off at the edge for it.
		expect(codes.slice(noise.length)).toEqual(hostile.map(() => 1007));

		// The agents who behaved are still connected and still converge.
		addLabel(a.doc, 'still-alive');
		const p = new Y.XmlElement('paragraph');
		p.insert(0, [new Y.XmlText('after the storm')]);
		conversationDoc(b.doc).draft.insert(conversationDoc(b.doc).draft.length, [p]);
		await waitFor(() => readLabels(b.doc).includes('still-alive') && draftText(a.doc).includes('after the storm'), 'the good agents to sync');
		await waitFor(() => draftText(a.doc) === draftText(b.doc), 'convergence');
		const late = connect(shared.server.url, shared.fx.docName, shared.fx.agentB.token);
		expect(await late.ready).toBe(true);
		expect(readLabels(late.doc)).toContain('still-alive');
		disconnect(a, b, late);
	});

	it('a frame larger than the payload cap closes the socket', async () => {
		const small = await startServer(db, { socketLimits: { maxPayloadBytes: 1024 } });
		try {
			const code = await new Promise<number>((resolve) => {
				const ws = new WebSocket(small.url);
				ws.on('open', () => ws.send(new Uint8Array(4096)));
				ws.on('error', () => {});
				ws.on('close', (c) => resolve(c));
			});
			expect(code).toBe(1009);
		} finally {
			await small.close();
		}
	});

	it('a socket sending faster than its rate limit is closed', async () => {
		const strict = await startServer(db, { socketLimits: { framesPerSecond: 5, frameBurst: 10 } });
		try {
			const ws = new WebSocket(strict.url);
			const code = await new Promise<number>((resolve) => {
				ws.on('open', () => {
					for (let i = 0; i < 50; i++) ws.send(frame((e) => (encoding.writeVarString(e, shared.fx.docName), encoding.writeVarUint(e, 3))));
				});
				ws.on('error', () => {});
				ws.on('close', (c) => resolve(c));
			});
			expect(code).toBe(1008);
		} finally {
			await strict.close();
		}
	});
});

import * as decoding from 'lib0/decoding';
import * as Y from 'yjs';

/**
 * Checks one inbound WebSocket frame of the Hocuspocus protocol before Hocuspocus sees it, so that
 * a malformed or hostile frame closes the socket at the edge instead of reaching Yjs. Cheap for
 * the frames a real provider sends (a keystroke update is a few dozen bytes).
 */

/** Message types a provider may send (Hocuspocus MessageType; 6 is server-internal). */
const CLIENT_TYPES = new Set([0, 1, 2, 3, 4, 5, 7]);
const SYNC_STEP_1 = 0;
const SYNC_STEP_2 = 1;
const SYNC_UPDATE = 2;

export interface FrameLimits {
	/** Longest document name (`conversation:<uuid>` is 49 characters). @default 100 */
	maxNameLength: number;
	/** Largest awareness update. @default 16384 */
	maxAwarenessBytes: number;
	/** Longest auth token. @default 1024 */
	maxTokenLength: number;
	/** Largest stateless payload. @default 4096 */
	maxStatelessBytes: number;
}

export const defaultFrameLimits: FrameLimits = {
	maxNameLength: 100,
	maxAwarenessBytes: 16_384,
	maxTokenLength: 1024,
	maxStatelessBytes: 4096
};

export interface FrameInfo {
	documentName: string;
	type: number;
	/** For sync step 2 and updates: the Yjs update's size in bytes. */
	updateBytes: number;
}

/** What is wrong with a frame, or its parsed envelope when nothing is. */
export function inspectFrame(data: Uint8Array, limits: FrameLimits = defaultFrameLimits): { ok: true; frame: FrameInfo } | { ok: false; reason: string } {
	try {
		const decoder = decoding.createDecoder(data);
		const documentName = decoding.readVarString(decoder);
		if (documentName.length === 0 || documentName.length > limits.maxNameLength) return { ok: false, reason: 'bad-name' };
		const type = decoding.readVarUint(decoder);
		if (!CLIENT_TYPES.has(type)) return { ok: false, reason: 'bad-type' };
		let updateBytes = 0;
		switch (type) {
			case 0:
			case 4: {
				const step = decoding.readVarUint(decoder);
				const payload = decoding.readVarUint8Array(decoder);
				if (step === SYNC_STEP_1) {
					Y.decodeStateVector(payload);
				} else if (step === SYNC_STEP_2 || step === SYNC_UPDATE) {
					Y.decodeUpdate(payload);
					updateBytes = payload.byteLength;
				} else return { ok: false, reason: 'bad-sync-step' };
				break;
			}
			case 1: {
				const payload = decoding.readVarUint8Array(decoder);
				if (payload.byteLength > limits.maxAwarenessBytes) return { ok: false, reason: 'awareness-too-large' };
				const inner = decoding.createDecoder(payload);
				const count = decoding.readVarUint(inner);
				if (count > 64) return { ok: false, reason: 'awareness-too-many' };
				for (let i = 0; i < count; i++) {
					decoding.readVarUint(inner);
					decoding.readVarUint(inner);
					JSON.parse(decoding.readVarString(inner));
				}
				break;
			}
			case 2: {
				decoding.readVarUint(decoder);
				const token = decoding.readVarString(decoder);
				if (token.length > limits.maxTokenLength) return { ok: false, reason: 'token-too-long' };
				break;
			}
			case 5: {
				const payload = decoding.readVarString(decoder);
				if (payload.length > limits.maxStatelessBytes) return { ok: false, reason: 'stateless-too-large' };
				break;
			}
		}
		return { ok: true, frame: { documentName, type, updateBytes } };
	} catch {
		return { ok: false, reason: 'malformed' };
	}
}

const inspected = new WeakMap<Uint8Array, FrameInfo>();

/**
 * `inspectFrame`, remembered for the very bytes checked: the socket edge checks every frame, and
 * the Limits extension then reads the same Uint8Array's envelope without decoding it again.
 */
export function inspectOnce(data: Uint8Array, limits: FrameLimits = defaultFrameLimits): ReturnType<typeof inspectFrame> {
	const known = inspected.get(data);
	if (known) return { ok: true, frame: known };
	const result = inspectFrame(data, limits);
	if (result.ok) inspected.set(data, result.frame);
	return result;
}

/**
 * A token bucket per connection: `burst` frames at once, refilled at `perSecond`. Typing sends a
 * few frames per keystroke batch; a client far above that is misbehaving.
 */
export class RateLimiter {
	private tokens: number;
	private last: number;
	private readonly burst: number;
	private readonly perSecond: number;

	constructor(perSecond: number, burst: number) {
		this.perSecond = perSecond;
		this.burst = burst;
		this.tokens = burst;
		this.last = performance.now();
	}

	take(): boolean {
		const now = performance.now();
		this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
		this.last = now;
		if (this.tokens < 1) return false;
		this.tokens -= 1;
		return true;
	}
}

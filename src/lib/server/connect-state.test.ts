import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { KeyRing } from './crypto.ts';
import { CONNECT_STATE_TTL_MS, createConnectState, readConnectState } from './connect-state.ts';

const keyRing = new KeyRing([{ id: 'k1', key: randomBytes(32) }]);
const who = { userId: 'u-1', workspaceId: 'w-1', platform: 'shopee' as const };

describe('connect state', () => {
	it('comes back as the workspace it was made for, for the same user and platform', () => {
		const read = readConnectState(keyRing, createConnectState(keyRing, who), { userId: 'u-1', platform: 'shopee' });
		expect(read).toMatchObject({ ok: true, state: { workspaceId: 'w-1' } });
	});

	it('is refused when tampered with, signed by another key, expired, or brought back by another user', () => {
		const state = createConnectState(keyRing, who, 1_000_000);
		const now = 1_000_000 + 1000;
		const [payload, signature] = state.split('.');
		const forged = Buffer.from(JSON.stringify({ u: 'u-1', w: 'w-2', p: 'shopee', e: now + 60_000 })).toString('base64url');
		expect(readConnectState(keyRing, `${forged}.${signature}`, { userId: 'u-1', platform: 'shopee' }, now)).toEqual({ ok: false, problem: 'bad_signature' });
		const other = new KeyRing([{ id: 'k2', key: randomBytes(32) }]);
		expect(readConnectState(other, state, { userId: 'u-1', platform: 'shopee' }, now)).toEqual({ ok: false, problem: 'bad_signature' });
		expect(readConnectState(keyRing, state, { userId: 'u-1', platform: 'shopee' }, 1_000_000 + CONNECT_STATE_TTL_MS + 1)).toEqual({ ok: false, problem: 'expired' });
		expect(readConnectState(keyRing, state, { userId: 'u-2', platform: 'shopee' }, now)).toEqual({ ok: false, problem: 'other_user' });
		expect(readConnectState(keyRing, state, { userId: 'u-1', platform: 'lazada' }, now)).toEqual({ ok: false, problem: 'other_platform' });
		expect(readConnectState(keyRing, `${payload}`, { userId: 'u-1', platform: 'shopee' }, now)).toEqual({ ok: false, problem: 'malformed' });
		expect(readConnectState(keyRing, null, { userId: 'u-1', platform: 'shopee' }, now)).toEqual({ ok: false, problem: 'malformed' });
	});
});

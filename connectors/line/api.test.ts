import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakePlatform, type FakePlatform } from '../../tests/fakes/platforms.ts';
import { REPLY_TOKEN_TTL_MS, send } from './api.ts';
import type { LineCredentials } from './credentials.ts';
import type { OutgoingReply } from '../types.ts';

describe('LINE send', () => {
	let fake: FakePlatform;
	beforeEach(async () => {
		fake = await startFakePlatform('line');
	});
	afterEach(() => fake.close());

	const ctx = () => ({ config: fake.config, credentials: fake.credentials as LineCredentials });
	const reply = (overrides: Partial<OutgoingReply> = {}): OutgoingReply => ({
		idempotencyKey: crypto.randomUUID(),
		threadId: 'U4af4980629b1b3b7e2b2b9b1d1e5b6c7',
		customerId: 'U4af4980629b1b3b7e2b2b9b1d1e5b6c7',
		text: 'ขอบคุณค่ะ',
		lastCustomerMessageAt: new Date(),
		...overrides
	});

	it('answers with the reply token while it is fresh, which costs no push quota', async () => {
		await send(reply({ replyToken: { token: 'fresh-token', receivedAt: new Date() } }), ctx());
		expect(fake.requests.map((r) => r.path)).toEqual(['/v2/bot/message/reply']);
		expect(fake.requests[0]!.json).toMatchObject({ replyToken: 'fresh-token' });
	});

	it('pushes instead when the reply token is too old to trust', async () => {
		const receivedAt = new Date(Date.now() - REPLY_TOKEN_TTL_MS - 1);
		await send(reply({ replyToken: { token: 'old-token', receivedAt } }), ctx());
		expect(fake.requests.map((r) => r.path)).toEqual(['/v2/bot/message/push']);
	});

	it('falls back to push when LINE says the reply token was already used', async () => {
		await send(reply({ replyToken: { token: 'once', receivedAt: new Date() } }), ctx());
		await send(reply({ replyToken: { token: 'once', receivedAt: new Date() } }), ctx());
		expect(fake.requests.map((r) => `${r.path} ${r.status}`)).toEqual([
			'/v2/bot/message/reply 200',
			'/v2/bot/message/reply 400',
			'/v2/bot/message/push 200'
		]);
	});

	it('sends the outbox key as X-Line-Retry-Key, so a retried push is not delivered twice', async () => {
		const again = reply();
		const first = await send(again, ctx());
		const second = await send(again, ctx());
		expect(fake.requests.map((r) => r.headers['x-line-retry-key'])).toEqual([again.idempotencyKey, again.idempotencyKey]);
		expect(fake.requests.map((r) => r.status)).toEqual([200, 409]);
		expect(second.platformMessageId).toBe(first.platformMessageId);
	});
});

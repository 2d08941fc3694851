import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakePlatform, type FakePlatform } from '../../tests/fakes/platforms.ts';
import { send } from './api.ts';
import type { MetaCredentials } from './credentials.ts';
import type { OutgoingReply } from '../types.ts';

describe('Messenger send', () => {
	let fake: FakePlatform;
	beforeEach(async () => {
		fake = await startFakePlatform('facebook');
	});
	afterEach(() => fake.close());

	const ctx = () => ({ config: fake.config, credentials: fake.credentials as MetaCredentials });
	const reply = (hoursSinceCustomer: number): OutgoingReply => ({
		idempotencyKey: crypto.randomUUID(),
		threadId: '7012345678901234',
		customerId: '7012345678901234',
		text: 'Your parcel left the warehouse today.',
		lastCustomerMessageAt: new Date(Date.now() - hoursSinceCustomer * 3_600_000)
	});

	it('sends a standard RESPONSE inside 24 hours', async () => {
		await send(reply(2), ctx());
		expect(fake.requests[0]!.json).toMatchObject({ messaging_type: 'RESPONSE', recipient: { id: '7012345678901234' } });
		expect(fake.requests[0]!.json).not.toHaveProperty('tag');
	});

	it('tags the message HUMAN_AGENT between 24 hours and 7 days', async () => {
		await send(reply(30), ctx());
		expect(fake.requests[0]!.json).toMatchObject({ messaging_type: 'MESSAGE_TAG', tag: 'HUMAN_AGENT' });
	});

	it('posts to the configured Graph API version and proves the app secret', async () => {
		await send(reply(1), { ...ctx(), config: { ...fake.config, settings: { graphApiVersion: 'v23.0' } } });
		expect(fake.requests[0]!.path).toBe('/v23.0/104857600123456/messages');
		expect(fake.requests[0]!.query.appsecret_proof).toMatch(/^[0-9a-f]{64}$/);
	});
});

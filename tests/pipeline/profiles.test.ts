import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { testPool } from '../helpers/db.ts';
import { Client } from '../helpers/app.ts';
import { startFakePlatform, type FakePlatform } from '../fakes/platforms.ts';
import { connect, deliver, signUpOwner, startPipelineApp, waitFor, webhookFor, type Owner } from './harness.ts';

/** Real customer names and pictures from the platforms, and the details agents keep about a customer. */

let app: RunningApp;
let owner: Owner;
const fakes: FakePlatform[] = [];
const db = testPool();

beforeAll(async () => {
	app = await startPipelineApp();
	owner = await signUpOwner(app);
});
afterAll(async () => {
	await app.close();
	await Promise.all(fakes.map((f) => f.close()));
	await db.end();
});

const connected = new Map<string, { fake: FakePlatform; connection: Awaited<ReturnType<typeof connect>> }>();

/** A customer writes to the owner's LINE OA or Page (connected once per platform for the file). */
async function customerWritesOn(platform: 'line' | 'facebook', customerId: string, text: string): Promise<{ fake: FakePlatform; conversationId: string }> {
	if (!connected.has(platform)) {
		const fake = await startFakePlatform(platform);
		fakes.push(fake);
		connected.set(platform, { fake, connection: await connect(owner, fake) });
	}
	const { fake, connection } = connected.get(platform)!;
	expect((await deliver(connection.webhookUrl, webhookFor({ fake, connection }, { kind: 'message', text, customerId }))).status).toBe(200);
	const conversation = await waitFor(
		async () => (await owner.client.get(`/api/v1/conversations?q=${encodeURIComponent(text)}`)).json.items[0],
		'the conversation'
	);
	return { fake, conversationId: conversation.id };
}

describe('customer profiles', () => {
	it('names a LINE customer after their LINE profile, with their picture, instead of “line customer 1234”', async () => {
		const userId = 'U' + crypto.randomUUID().replaceAll('-', '');
		const { fake, conversationId } = await customerWritesOn('line', userId, 'profile test line');
		const detail = await waitFor(async () => {
			const d = (await owner.client.get(`/api/v1/conversations/${conversationId}`)).json;
			return d.contact.platformName === `Khun ${userId.slice(-4)}` ? d : null;
		}, 'the LINE profile');
		expect(detail.contact).toMatchObject({ name: `Khun ${userId.slice(-4)}`, avatarUrl: `https://profile.line-scdn.net/${userId}`, customName: null });
		expect((await owner.client.get(`/api/v1/conversations?q=profile%20test%20line`)).json.items[0].contact.name).toBe(`Khun ${userId.slice(-4)}`);
		// The profile is fetched at most once a day: another message does not ask LINE again.
		const connection = (await owner.client.get('/api/v1/connections')).json.connections.find((c: { platform: string }) => c.platform === 'line');
		expect((await deliver(connection.webhookUrl, webhookFor({ fake, connection }, { kind: 'message', text: 'again', customerId: userId }))).status).toBe(200);
		// Profiles are fetched in order: once a later customer's profile is in, the repeat has been considered.
		const later = 'U' + crypto.randomUUID().replaceAll('-', '');
		expect((await deliver(connection.webhookUrl, webhookFor({ fake, connection }, { kind: 'message', text: 'later customer', customerId: later }))).status).toBe(200);
		await waitFor(() => fake.requests.some((r) => r.path === `/v2/bot/profile/${later}` && r.status === 200), 'the later profile');
		expect(fake.requests.filter((r) => r.path === `/v2/bot/profile/${userId}`)).toHaveLength(1);
	});

	it('names a Messenger customer from the Page’s user profile', async () => {
		const { conversationId } = await customerWritesOn('facebook', '7012345678905555', 'profile test messenger');
		await waitFor(async () => (await owner.client.get(`/api/v1/conversations/${conversationId}`)).json.contact.name === 'Somchai Jaidee 5555', 'the Messenger profile');
	});
});

describe('details agents keep about a customer', () => {
	it('keeps an agent’s name, phone, address and note apart from the platform’s name, and clears them again', async () => {
		const { conversationId } = await customerWritesOn('line', 'U' + crypto.randomUUID().replaceAll('-', ''), 'details test');
		const detail = await waitFor(async () => {
			const d = (await owner.client.get(`/api/v1/conversations/${conversationId}`)).json;
			return d.contact.platformName.startsWith('Khun') ? d : null;
		}, 'the profile');
		const contactId = detail.contact.id;
		const saved = await owner.client.request('PATCH', `/api/v1/contacts/${contactId}`, {
			customName: 'คุณแพร (VIP)',
			phone: '081 234 5678',
			address: '99 ถนนสุขุมวิท กรุงเทพฯ 10110',
			note: 'Prefers Kerry Express'
		});
		expect(saved.status).toBe(200);
		expect(saved.json.contact).toMatchObject({ name: 'คุณแพร (VIP)', platformName: detail.contact.platformName, phone: '081 234 5678', note: 'Prefers Kerry Express' });
		const list = (await owner.client.get(`/api/v1/conversations?q=${encodeURIComponent('คุณแพร')}`)).json.items;
		expect(list.map((c: { id: string }) => c.id)).toEqual([conversationId]);
		expect(list[0].contact.name).toBe('คุณแพร (VIP)');
		// Only the fields sent change; an empty one is cleared.
		const cleared = await owner.client.request('PATCH', `/api/v1/contacts/${contactId}`, { customName: '' });
		expect(cleared.json.contact).toMatchObject({ name: detail.contact.platformName, customName: null, phone: '081 234 5678' });
	});

	it('does not let another workspace, or a supervisor, change a customer', async () => {
		const { conversationId } = await customerWritesOn('facebook', '7012345678906666', 'details guard test');
		const contactId = (await owner.client.get(`/api/v1/conversations/${conversationId}`)).json.contact.id;
		const stranger = await signUpOwner(app);
		expect((await stranger.client.request('PATCH', `/api/v1/contacts/${contactId}`, { note: 'x' })).status).toBe(404);
		const { rows } = await db.query(`insert into users (email, name, password_hash) values ($1, 'Sup', 'x') returning id`, [`sup-${crypto.randomUUID()}@example.test`]);
		await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, 'supervisor')`, [owner.workspaceId, rows[0].id]);
		const { createSession } = await import('../../src/lib/server/auth/session.ts');
		const { token } = await createSession(db, rows[0].id, owner.workspaceId);
		const supervisor = new Client(app.url);
		supervisor.bearer = token;
		expect((await supervisor.request('PATCH', `/api/v1/contacts/${contactId}`, { note: 'x' }, { 'x-workspace-id': owner.workspaceId })).status).toBe(403);
		expect((await db.query(`select note from contacts where id = $1`, [contactId])).rows[0].note).toBeNull();
	});
});

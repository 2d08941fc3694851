import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { testPool } from '../helpers/db.ts';
import { startFakePlatform, type FakePlatform } from '../fakes/platforms.ts';
import { deliver, signUpOwner, startPipelineApp, waitFor, webhookFor, type Owner } from './harness.ts';
import type { ConnectionView } from '../../src/lib/server/connections.ts';
import type { Platform } from '../../connectors/types.ts';
import { LOCALE_COOKIE } from '../../src/lib/server/http/cookies.ts';

/**
 * Connecting through the platforms' own authorization pages (the fakes' consent pages), the tokens
 * that refresh themselves, and what happens when the platform stops accepting them.
 */

let app: RunningApp;
const fakes = {} as Record<'shopee' | 'lazada' | 'tiktok' | 'facebook' | 'instagram', FakePlatform>;
const db = testPool();

beforeAll(async () => {
	for (const platform of ['shopee', 'lazada', 'tiktok', 'facebook', 'instagram'] as const) fakes[platform] = await startFakePlatform(platform);
	// Shopee tokens live a few seconds here, so the refresh job has work while the test watches.
	fakes.shopee.tokens.accessTtlSeconds = 3;
	const env: Record<string, string> = {
		CHATMAI_SHOPEE_PARTNER_ID: fakes.shopee.app!.id,
		CHATMAI_SHOPEE_PARTNER_KEY: fakes.shopee.app!.secret,
		CHATMAI_LAZADA_APP_KEY: fakes.lazada.app!.id,
		CHATMAI_LAZADA_APP_SECRET: fakes.lazada.app!.secret,
		CHATMAI_TIKTOK_APP_KEY: fakes.tiktok.app!.id,
		CHATMAI_TIKTOK_APP_SECRET: fakes.tiktok.app!.secret,
		CHATMAI_TIKTOK_SERVICE_ID: fakes.tiktok.app!.serviceId!,
		CHATMAI_META_APP_ID: fakes.facebook.app!.id,
		CHATMAI_META_APP_SECRET: fakes.facebook.app!.secret
	};
	for (const platform of ['shopee', 'lazada', 'tiktok', 'facebook', 'instagram'] as const) {
		env[`CHATMAI_${platform.toUpperCase()}_API_URL`] = fakes[platform].baseUrl;
		env[`CHATMAI_${platform.toUpperCase()}_AUTH_URL`] = fakes[platform].authBaseUrl;
	}
	app = await startPipelineApp(env);
	fakes.tiktok.tokens.redirectUri = `${app.url}/connect/tiktok/callback`;
});
// Each fake has one shop / Page: one test's connections are gone before the next connects them again.
afterEach(async () => {
	await db.query(`update platform_connections set status = 'disconnected', disconnected_at = now() where status = 'active'`);
});
afterAll(async () => {
	await app.close();
	await Promise.all(Object.values(fakes).map((f) => f.close()));
	await db.end();
});

/** Clicks "Connect <platform>", approves on the fake's consent page, and follows the platform back to ChatMai. */
async function authorize(owner: Owner, platform: Platform, tamper: (callback: URL) => void = () => {}) {
	const start = await owner.client.get(`/w/${owner.workspaceId}/settings/connections/connect/${platform}`);
	expect(start.status).toBe(303);
	const consent = await fetch(start.headers.get('location')!);
	expect(consent.status).toBe(200);
	const href = /id="authorize" href="([^"]+)"/.exec(await consent.text())![1]!.replaceAll('&amp;', '&');
	const callback = new URL(href);
	expect(callback.pathname).toBe(`/connect/${platform}/callback`);
	tamper(callback);
	return owner.client.get(callback.pathname + callback.search);
}

async function connections(owner: Owner): Promise<ConnectionView[]> {
	return (await owner.client.get('/api/v1/connections')).json.connections;
}

describe('connecting through the platform’s authorization page', () => {
	it('connects a Shopee shop, Lazada seller, TikTok shop, Facebook Page and Instagram account with the tokens the platform granted', async () => {
		const owner = await signUpOwner(app);
		for (const platform of ['shopee', 'lazada', 'tiktok', 'instagram'] as const) {
			const back = await authorize(owner, platform);
			expect(back.status, `${platform}: ${back.text.slice(0, 300)}`).toBe(303);
			expect(back.headers.get('location')).toBe(`/w/${owner.workspaceId}/settings/connections?connected=1`);
		}
		// The user manages two Pages: the seller picks the one whose chats belong here.
		const back = await authorize(owner, 'facebook');
		expect(back.status).toBe(303);
		const pick = back.headers.get('location')!;
		expect(pick).toMatch(new RegExp(`^/w/${owner.workspaceId}/settings/connections/pick/[0-9a-f-]{36}$`));
		const page = await owner.client.get(pick);
		expect(page.text).toContain('ChatMai Fashion');
		expect(page.text).toContain('ChatMai Outlet');
		const subscribedBefore = fakes.facebook.requests.filter((r) => r.path.endsWith('/subscribed_apps')).length;
		const chosen = await owner.client.request('POST', pick, `account=${fakes.facebook.config.externalId}`, { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' });
		expect(chosen.status, chosen.text.slice(0, 300)).toBe(303);
		expect(chosen.headers.get('location')).toBe(`/w/${owner.workspaceId}/settings/connections?connected=1`);
		// Only the picked Page was subscribed to the app's webhooks; the choice cannot be made twice.
		const subscribed = fakes.facebook.requests.filter((r) => r.path.endsWith('/subscribed_apps')).slice(subscribedBefore);
		expect(subscribed.map((r) => [r.method, r.path, r.status])).toEqual([['POST', `/v21.0/${fakes.facebook.config.externalId}/subscribed_apps`, 200]]);
		const again = await owner.client.request('POST', pick, `account=104857600654321`, { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' });
		expect(again.status).toBe(410);
		expect((await db.query(`select count(*)::int as n from pending_authorizations`)).rows[0].n).toBe(0);
		const list = await connections(owner);
		const byPlatform = Object.fromEntries(list.map((c) => [c.platform, c]));
		expect(byPlatform.shopee).toMatchObject({ externalId: fakes.shopee.config.externalId, name: 'ChatMai Official Shop', status: 'active', authorizationStatus: 'ok' });
		expect(byPlatform.shopee.accessTokenExpiresAt).not.toBeNull();
		expect(byPlatform.lazada).toMatchObject({ externalId: fakes.lazada.config.externalId, name: 'ChatMai Lazada Store' });
		expect(byPlatform.tiktok).toMatchObject({ externalId: fakes.tiktok.config.externalId, name: 'ChatMai TikTok Shop' });
		expect(byPlatform.facebook).toMatchObject({ externalId: fakes.facebook.config.externalId, accessTokenExpiresAt: null });
		expect(byPlatform.instagram).toMatchObject({ externalId: fakes.instagram.config.externalId, name: 'chatmai.fashion' });
		// The tokens are sealed: the row holds no token the platform issued.
		const sealed = await db.query(`select encode(ciphertext, 'escape') as text from platform_credentials where connection_id = $1`, [byPlatform.shopee.id]);
		expect(sealed.rows[0].text).not.toContain('at-');
	});

	it('answers a callback with a forged, foreign or missing state, or a used code, with a page that says so, and stores nothing', async () => {
		const owner = await signUpOwner(app);
		const other = await signUpOwner(app);
		const cases: Array<[string, (u: URL) => void, string]> = [
			['forged state', (u) => u.searchParams.set('state', u.searchParams.get('state')!.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A'))), 'state'],
			['missing state', (u) => u.searchParams.delete('state'), 'state'],
			['made-up code', (u) => u.searchParams.set('code', 'code-00000000'), 'refused']
		];
		for (const [what, tamper, problem] of cases) {
			const page = await authorize(owner, 'shopee', tamper);
			expect(page.status, what).toBe(200);
			expect(page.text, what).toContain('data-testid="connect-failed"');
			expect(page.text, what).toContain(problem === 'state' ? 'was not started by you' : 'did not accept the authorization');
		}
		// Another member's link: the state names someone else.
		const start = await other.client.get(`/w/${other.workspaceId}/settings/connections/connect/lazada`);
		const consent = await fetch(start.headers.get('location')!);
		const href = new URL(/id="authorize" href="([^"]+)"/.exec(await consent.text())![1]!.replaceAll('&amp;', '&'));
		const stolen = await owner.client.get(href.pathname + href.search);
		expect(stolen.text).toContain('was not started by you');
		// A code is good once: the same callback again is refused by the platform.
		const used = await other.client.get(href.pathname + href.search);
		expect(used.status).toBe(303);
		const again = await other.client.get(href.pathname + href.search);
		expect(again.text).toContain('data-testid="connect-failed"');
		expect(await connections(owner)).toEqual([]);
		expect((await connections(other)).map((c) => c.platform)).toEqual(['lazada']);
	});

	it('says what went wrong in Thai to a seller who reads Thai', async () => {
		const owner = await signUpOwner(app);
		const page = await authorize(owner, 'shopee', (u) => u.searchParams.set('state', 'x.y'));
		expect(page.text).toContain('Nothing was saved.');
		const th = await owner.client.get(`/connect/shopee/callback?state=x.y&code=c`, { cookie: `${LOCALE_COOKIE}=th` });
		expect(th.status).toBe(200);
		expect(th.text).toContain('ไม่มีการบันทึกข้อมูลใด ๆ');
		expect(th.text).toContain('เชื่อมต่อ Shopee ไม่สำเร็จ');
	});
});

describe('tokens that refresh themselves', () => {
	it('renews a Shopee token before it expires, seals the new pair, and replies go out with it', async () => {
		const owner = await signUpOwner(app);
		expect((await authorize(owner, 'shopee')).status).toBe(303);
		const [shop] = await connections(owner);
		const before = await db.query(`select ciphertext from platform_credentials where connection_id = $1`, [shop!.id]);
		const refreshed = await waitFor(
			async () => (await db.query(`select 1 from platform_credentials where connection_id = $1 and rotated_at is not null`, [shop!.id])).rowCount,
			'the token refresh',
			20_000
		);
		expect(refreshed).toBe(1);
		const after = await db.query(`select ciphertext from platform_credentials where connection_id = $1`, [shop!.id]);
		expect(Buffer.compare(before.rows[0].ciphertext, after.rows[0].ciphertext)).not.toBe(0);
		// A customer writes and the agent answers: Shopee takes the reply with the renewed token.
		const webhook = webhookFor({ fake: fakes.shopee, connection: shop! }, { kind: 'message', text: 'ยังมีของไหมคะ', customerId: '770011' });
		expect((await deliver(shop!.webhookUrl, webhook)).status).toBe(200);
		const conversation = await waitFor(async () => (await owner.client.get('/api/v1/conversations')).json.items[0], 'the conversation');
		const reply = await owner.client.post(`/api/v1/conversations/${conversation.id}/replies`, { body: 'มีค่ะ', idempotencyKey: crypto.randomUUID() });
		expect(reply.status).toBe(202);
		const sent = await waitFor(() => fakes.shopee.requests.find((r) => r.path === '/api/v2/sellerchat/send_message' && r.status === 200), 'the reply at Shopee');
		const issuedAtConnect = fakes.shopee.requests.find((r) => r.path === '/api/v2/auth/token/get')!.response as { access_token: string };
		expect(sent.query.access_token).not.toBe(issuedAtConnect.access_token);
	});

	it('marks the connection needs_reauthorization and tells the owner when the refresh token is refused, and reconnecting fixes it in place', async () => {
		const owner = await signUpOwner(app);
		expect((await authorize(owner, 'shopee')).status).toBe(303);
		const [shop] = await connections(owner);
		fakes.shopee.tokens.rejectRefresh = true;
		try {
			const marked = await waitFor(async () => (await connections(owner)).find((c) => c.authorizationStatus === 'needs_reauthorization'), 'needs_reauthorization', 20_000);
			expect(marked.id).toBe(shop!.id);
			expect(marked.lastError).toMatchObject({ code: 'refresh_rejected', message: 'Invalid refresh_token.' });
			const notes = (await owner.client.get('/api/v1/notifications')).json.items;
			expect(notes).toEqual(expect.arrayContaining([expect.objectContaining({ kind: 'connection_reauthorize', connectionId: shop!.id })]));
			// Webhooks of the account are still taken meanwhile.
			const webhook = webhookFor({ fake: fakes.shopee, connection: shop! }, { kind: 'message', text: 'still here' });
			expect((await deliver(shop!.webhookUrl, webhook)).status).toBe(200);
		} finally {
			fakes.shopee.tokens.rejectRefresh = false;
		}
		expect((await authorize(owner, 'shopee')).status).toBe(303);
		const after = await connections(owner);
		expect(after).toHaveLength(1);
		expect(after[0]).toMatchObject({ id: shop!.id, authorizationStatus: 'ok', lastError: null });
	});
});

describe('an account connected again keeps its customers', () => {
	it('disconnecting and reconnecting the same shop keeps one conversation per customer', async () => {
		const owner = await signUpOwner(app);
		expect((await authorize(owner, 'lazada')).status).toBe(303);
		const [first] = await connections(owner);
		const write = async (connection: ConnectionView, text: string) => {
			const webhook = webhookFor({ fake: fakes.lazada, connection }, { kind: 'message', text, customerId: '500123', threadId: 'session-500123' });
			expect((await deliver(connection.webhookUrl, webhook)).status).toBe(200);
		};
		await write(first!, 'first visit');
		const conversation = await waitFor(async () => (await owner.client.get('/api/v1/conversations')).json.items[0], 'the conversation');
		expect((await owner.client.request('DELETE', `/api/v1/connections/${first!.id}`)).status).toBe(200);
		expect((await authorize(owner, 'lazada')).status).toBe(303);
		const second = (await connections(owner)).find((c) => c.status === 'active')!;
		expect(second.id).not.toBe(first!.id);
		await write(second, 'second visit');
		await waitFor(async () => (await owner.client.get('/api/v1/conversations')).json.items[0]?.lastMessagePreview === 'second visit', 'the second message');
		const items = (await owner.client.get('/api/v1/conversations')).json.items;
		expect(items.map((c: { id: string }) => c.id)).toEqual([conversation.id]);
		const contacts = await db.query(`select count(distinct contact_id)::int as n from contact_identities where workspace_id = $1`, [owner.workspaceId]);
		expect(contacts.rows[0].n).toBe(1);
		// The card says when the account's last event arrived.
		await waitFor(async () => (await connections(owner)).find((c) => c.id === second.id)?.lastEventAt, 'last event received');
	});
});

describe('the identity check on connect', () => {
	it('refuses LINE credentials the platform rejects, with its reason, and fills the account id from LINE when none is given', async () => {
		const owner = await signUpOwner(app);
		const line = await startFakePlatform('line');
		try {
			const wrong = await owner.client.post('/api/v1/connections', {
				platform: 'line',
				name: 'Wrong token',
				credentials: { channelSecret: 'line-channel-secret-0123456789ab', channelAccessToken: 'not-the-token' },
				apiBaseUrl: line.baseUrl
			});
			expect(wrong.status).toBe(422);
			expect(wrong.json.error).toMatchObject({ code: 'refused', details: { code: 'refused' } });
			expect(wrong.json.error.message).toContain('Authentication failed');
			const right = await owner.client.post('/api/v1/connections', { platform: 'line', name: 'Shop OA', credentials: line.credentials, apiBaseUrl: line.baseUrl });
			expect(right.status).toBe(201);
			expect(right.json.connection.externalId).toBe(line.config.externalId);
			const mismatch = await owner.client.post('/api/v1/connections', {
				platform: 'line',
				name: 'Mismatch',
				externalId: 'U00000000000000000000000000000000',
				credentials: line.credentials,
				apiBaseUrl: line.baseUrl
			});
			expect(mismatch.status).toBe(422);
			expect(mismatch.json.error.details).toEqual({ code: 'account_mismatch' });
			expect((await connections(owner)).length).toBe(1);
			// Credentials updated in place: checked first, and the same connection keeps working.
			const id = right.json.connection.id;
			const refused = await owner.client.request('PUT', `/api/v1/connections/${id}`, { credentials: { ...line.credentials as object, channelAccessToken: 'revoked' } });
			expect(refused.status).toBe(422);
			const updated = await owner.client.request('PUT', `/api/v1/connections/${id}`, { credentials: line.credentials });
			expect(updated.status).toBe(200);
			expect(updated.json.connection).toMatchObject({ id, status: 'active', hasCredentials: true });
			const rotated = await db.query(`select rotated_at from platform_credentials where connection_id = $1`, [id]);
			expect(rotated.rows[0].rotated_at).not.toBeNull();
		} finally {
			await line.close();
		}
	});
});

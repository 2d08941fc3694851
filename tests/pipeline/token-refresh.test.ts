import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { connectors } from '../../connectors/registry.ts';
import { ConnectionCache } from '../../connectors/pipeline/connections.ts';
import { TokenRefresher } from '../../connectors/pipeline/token-refresh.ts';
import { nextRefreshAt } from '../../src/lib/server/connections.ts';
import { testPool } from '../helpers/db.ts';
import { startFakePlatform, type FakePlatform } from '../fakes/platforms.ts';
import { signUpOwner, startPipelineApp, type Owner } from './harness.ts';

/**
 * The refresh job's own rules, driven pass by pass: this app runs no workers, so the refresher
 * below is the only one taking the connections.
 */

let app: RunningApp;
let shopee: FakePlatform;
let refresher: TokenRefresher;
const db = testPool();

beforeAll(async () => {
	shopee = await startFakePlatform('shopee');
	app = await startPipelineApp({
		CHATMAI_WORKERS: 'false',
		CHATMAI_SHOPEE_PARTNER_ID: shopee.app!.id,
		CHATMAI_SHOPEE_PARTNER_KEY: shopee.app!.secret,
		CHATMAI_SHOPEE_API_URL: shopee.baseUrl,
		CHATMAI_SHOPEE_AUTH_URL: shopee.authBaseUrl
	});
	const { keyRing } = app.services;
	const endpoints = { origin: undefined, apiUrls: { shopee: shopee.baseUrl }, authUrls: { shopee: shopee.authBaseUrl } };
	refresher = new TokenRefresher({ db, keyRing, connectors, connections: new ConnectionCache({ db, keyRing, connectors }), endpoints, backoffBaseMs: 1, backoffMaxMs: 2 });
});
// One platform account is active in one place at a time (the fake has one shop): each test starts afresh.
afterEach(async () => {
	await db.query(`update platform_connections set status = 'disconnected', disconnected_at = now() where status = 'active'`);
});
afterAll(async () => {
	await refresher.stop();
	await app.close();
	await shopee.close();
	await db.end();
});

/** Connects the fake shop through its authorization page and returns the connection id. */
async function connectShop(owner: Owner): Promise<string> {
	const start = await owner.client.get(`/w/${owner.workspaceId}/settings/connections/connect/shopee`);
	const consent = await fetch(start.headers.get('location')!);
	const back = new URL(/id="authorize" href="([^"]+)"/.exec(await consent.text())![1]!.replaceAll('&amp;', '&'));
	expect((await owner.client.get(back.pathname + back.search)).status).toBe(303);
	const { rows } = await db.query(`select id from platform_connections where workspace_id = $1 and status = 'active'`, [owner.workspaceId]);
	return rows[0].id;
}

async function state(id: string) {
	const { rows } = await db.query(
		`select c.authorization_status, c.refresh_failures, c.last_error_code, c.next_refresh_at, p.rotated_at
		   from platform_connections c join platform_credentials p on p.connection_id = c.id where c.id = $1`,
		[id]
	);
	return rows[0];
}

const due = (id: string) => db.query(`update platform_connections set next_refresh_at = now() - interval '1 second' where id = $1`, [id]);

describe('connect buttons', () => {
	it('say so when the platform’s app is not set up on the server, instead of sending the seller away; LINE has no authorization page', async () => {
		const owner = await signUpOwner(app);
		const lazada = await owner.client.get(`/w/${owner.workspaceId}/settings/connections/connect/lazada`);
		expect(lazada.status).toBe(303);
		expect(lazada.headers.get('location')).toBe(`/w/${owner.workspaceId}/settings/connections?problem=not_configured&platform=lazada`);
		const page = await owner.client.get(lazada.headers.get('location')!);
		expect(page.text).toContain('Lazada is not set up on this server yet');
		expect(page.text).toContain('CHATMAI_LAZADA_APP_KEY, CHATMAI_LAZADA_APP_SECRET');
		expect((await owner.client.get(`/w/${owner.workspaceId}/settings/connections/connect/line`)).status).toBe(404);
	});
});

describe('the token refresh job', () => {
	it('schedules a refresh at about three quarters of the token’s life, never at the same moment for every shop', () => {
		const now = new Date('2026-01-01T00:00:00Z');
		const expires = new Date(now.getTime() + 4 * 3600_000);
		expect(nextRefreshAt(expires, now, () => 0)!.getTime()).toBe(now.getTime() + 3 * 3600_000);
		expect(nextRefreshAt(expires, now, () => 1)!.getTime()).toBe(now.getTime() + 3 * 3600_000 - 12 * 60_000);
		expect(nextRefreshAt(null, now)).toBeNull();
		expect(nextRefreshAt(new Date(now.getTime() - 1000), now)).toEqual(now);
	});

	it('backs off after a 5xx, keeps the connection, and refreshes on a later pass', async () => {
		const id = await connectShop(await signUpOwner(app));
		await due(id);
		shopee.failNext(1, 503);
		await refresher.pass();
		expect(await state(id)).toMatchObject({ authorization_status: 'ok', refresh_failures: 1, last_error_code: 'error_server', rotated_at: null });
		for (let i = 0; i < 50 && !(await state(id)).rotated_at; i++) {
			await due(id);
			await refresher.pass();
		}
		expect(await state(id)).toMatchObject({ authorization_status: 'ok', refresh_failures: 0, last_error_code: null });
		expect((await state(id)).rotated_at).not.toBeNull();
	});

	it('asks for reauthorization when the refresh token has expired and the platform cannot be reached', async () => {
		const id = await connectShop(await signUpOwner(app));
		await db.query(`update platform_connections set refresh_token_expires_at = now() - interval '1 minute' where id = $1`, [id]);
		await due(id);
		shopee.failNext(1, 502);
		await refresher.pass();
		expect(await state(id)).toMatchObject({ authorization_status: 'needs_reauthorization', last_error_code: 'refresh_expired', next_refresh_at: null });
	});

	it('survives credentials that no longer open, and still refreshes the other connections', async () => {
		const owner = await signUpOwner(app);
		const healthy = await connectShop(owner);
		// Another shop whose sealed credentials were damaged (a lost key, a bad restore).
		const { rows } = await db.query(
			`insert into platform_connections (workspace_id, platform, name, external_id, next_refresh_at) values ($1, 'shopee', 'Damaged', '999000111', now()) returning id`,
			[owner.workspaceId]
		);
		const broken = rows[0].id;
		await db.query(
			`insert into platform_credentials (connection_id, workspace_id, key_id, iv, ciphertext, auth_tag)
			 select $1, workspace_id, key_id, iv, ciphertext, decode(repeat('00', 16), 'hex') from platform_credentials where connection_id = $2`,
			[broken, healthy]
		);
		await due(healthy);
		await expect(refresher.pass()).resolves.toBe(false);
		expect(await state(broken)).toMatchObject({ authorization_status: 'ok', last_error_code: 'internal', refresh_failures: 1 });
		expect((await state(healthy)).rotated_at).not.toBeNull();
	});
});

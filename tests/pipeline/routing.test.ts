import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { testPool } from '../helpers/db.ts';
import { otherCredentials, signBody, signedWebhook, startFakePlatform, uniqueAccountId, type FakePlatform } from '../fakes/platforms.ts';
import type { Platform } from '../../connectors/types.ts';
import { connect, deliver, messagesOf, signUpOwner, startFake, startPipelineApp, waitFor, type Connected } from './harness.ts';

/*
 * Routing by the account id in the payload, beyond the contract rules: batches for several
 * accounts, secrets that verify only some of them, LINE's destination, and app keys in the URL.
 */

let app: RunningApp;
const db = testPool();
const fakes: FakePlatform[] = [];

beforeAll(async () => {
	app = await startPipelineApp();
});
afterAll(async () => {
	await app.close();
	await Promise.all(fakes.map((fake) => fake.close()));
	await db.end();
});

/** An account of `platform` connected in a workspace of its own; `credentials` for another app's secret. */
async function account(platform: Platform, credentials?: unknown): Promise<Connected> {
	const owner = await signUpOwner(app);
	const fake = credentials ? await startFakePlatform(platform, { accountId: uniqueAccountId(platform), credentials }) : await startFake(platform);
	fakes.push(fake);
	return { fake, connection: await connect(owner, fake, fake.credentials) };
}

async function storedUnder(messageId: string): Promise<string[]> {
	const { rows } = await db.query<{ connection_id: string }>(`select connection_id from inbound_events where payload->>'platformMessageId' = $1`, [messageId]);
	return rows.map((r) => r.connection_id);
}

async function drops(): Promise<{ unknown_account: number; unverified_account: number }> {
	return (await (await fetch(`${app.url}/healthz`)).json()).webhooks.dropped;
}

/** One Messenger batch with an entry per page, as Meta sends them to the app's one callback URL. */
function metaBatch(entries: Array<{ pageId: string; mid: string; text: string }>): Buffer {
	const time = Date.now();
	return Buffer.from(
		JSON.stringify({
			object: 'page',
			entry: entries.map((e) => ({
				id: e.pageId,
				time,
				messaging: [{ sender: { id: '7012345678901234' }, recipient: { id: e.pageId }, timestamp: time, message: { mid: e.mid, text: e.text } }]
			}))
		})
	);
}

describe('routing by the account id in the payload', () => {
	it('splits a Meta batch for two pages of one app and files each entry under its own page, in its own workspace', async () => {
		const a = await account('facebook');
		const b = await account('facebook');
		const [midA, midB] = [`m_a${Date.now()}`, `m_b${Date.now()}`];
		const body = metaBatch([
			{ pageId: a.connection.externalId, mid: midA, text: 'for page A' },
			{ pageId: b.connection.externalId, mid: midB, text: 'for page B' }
		]);
		const res = await deliver(`${app.url}/webhooks/facebook`, { headers: signBody('facebook', body), body });
		expect(res.status).toBe(200);
		expect(await storedUnder(midA)).toEqual([a.connection.id]);
		expect(await storedUnder(midB)).toEqual([b.connection.id]);
		await waitFor(async () => (await messagesOf(db, b.connection.id)).some((m) => m.body === 'for page B'), 'page B’s message');
		expect((await messagesOf(db, a.connection.id)).map((m) => m.body)).not.toContain('for page B');
	});

	it('files only the entries whose own page secret verifies the batch, and counts the rest', async () => {
		const a = await account('facebook');
		const foreign = await account('facebook', otherCredentials('facebook'));
		const [midA, midForeign] = [`m_ok${Date.now()}`, `m_forged${Date.now()}`];
		const before = await drops();
		// Signed with A's app secret, naming a page of another app as well.
		const body = metaBatch([
			{ pageId: a.connection.externalId, mid: midA, text: 'genuine' },
			{ pageId: foreign.connection.externalId, mid: midForeign, text: 'forged' }
		]);
		const res = await deliver(`${app.url}/webhooks/facebook`, { headers: signBody('facebook', body, { credentials: a.fake.credentials }), body });
		expect(res.status).toBe(200);
		expect(await storedUnder(midA)).toEqual([a.connection.id]);
		expect(await storedUnder(midForeign)).toEqual([]);
		expect((await drops()).unverified_account).toBe(before.unverified_account + 1);
	});

	it('refuses with 401 a body for one account signed with a secret that is not its own', async () => {
		const victim = await account('shopee', otherCredentials('shopee'));
		const attacker = await account('shopee');
		const mid = `forged${Date.now()}`;
		const url = `${app.url}/webhooks/shopee`;
		const webhook = signedWebhook('shopee', { event: { kind: 'message', text: 'forged', messageId: mid }, credentials: attacker.fake.credentials, webhookUrl: url, accountId: victim.connection.externalId });
		expect((await deliver(url, webhook)).status).toBe(401);
		// Posted to the attacker's own (deprecated) URL, it is not filed under the attacker either.
		const own = `${app.url}/webhooks/shopee/${attacker.connection.id}`;
		const again = signedWebhook('shopee', { event: { kind: 'message', text: 'forged', messageId: mid }, credentials: attacker.fake.credentials, webhookUrl: own, accountId: victim.connection.externalId });
		expect((await deliver(own, again)).status).toBe(200);
		expect(await storedUnder(mid)).toEqual([]);
	});

	it("files a LINE event by its destination: another channel's event posted to this channel's URL goes to that channel, or nowhere", async () => {
		const a = await account('line');
		const b = await account('line');
		const c = await account('line', otherCredentials('line'));
		const urlA = a.connection.webhookUrl;
		const forB = `line-b${Date.now()}`;
		const toB = signedWebhook('line', { event: { kind: 'message', text: 'for channel B', messageId: forB }, accountId: b.connection.externalId });
		expect((await deliver(urlA, toB)).status).toBe(200);
		expect(await storedUnder(forB)).toEqual([b.connection.id]);
		// Channel C has its own secret: a body naming C signed with A's secret is filed nowhere.
		const forC = `line-c${Date.now()}`;
		const toC = signedWebhook('line', { event: { kind: 'message', text: 'for channel C', messageId: forC }, credentials: a.fake.credentials, accountId: c.connection.externalId });
		expect((await deliver(urlA, toC)).status).toBe(200);
		expect(await storedUnder(forC)).toEqual([]);
	});

	it("takes the app key of a deployment's several apps from /webhooks/<platform>/app/<appKey>", async () => {
		const seller = await account('lazada');
		const appKey = (seller.fake.credentials as { appKey: string }).appKey;
		const right = `${app.url}/webhooks/lazada/app/${appKey}`;
		const mid = `appkey${Date.now()}`;
		const webhook = signedWebhook('lazada', { event: { kind: 'message', text: 'via the app URL', messageId: mid }, accountId: seller.connection.externalId });
		expect((await deliver(right, webhook)).status).toBe(200);
		expect(await storedUnder(mid)).toEqual([seller.connection.id]);
		const wrong = `${app.url}/webhooks/lazada/app/another-app`;
		const mid2 = `appkey2${Date.now()}`;
		const other = signedWebhook('lazada', { event: { kind: 'message', text: 'via another app URL', messageId: mid2 }, accountId: seller.connection.externalId });
		expect((await deliver(wrong, other)).status).toBe(200);
		expect(await storedUnder(mid2)).toEqual([]);
		expect((await fetch(`${app.url}/webhooks/lazada/app/${encodeURIComponent('bad key!')}`, { method: 'POST', body: '{}' })).status).toBe(404);
	});

	it('refuses to connect one platform account twice, in this workspace or another', async () => {
		const a = await account('tiktok');
		const owner = await signUpOwner(app);
		const res = await owner.client.post('/api/v1/connections', {
			platform: 'tiktok',
			name: 'Same shop again',
			externalId: a.connection.externalId,
			credentials: a.fake.credentials,
			settings: a.fake.config.settings,
			apiBaseUrl: a.fake.baseUrl
		});
		expect(res.status).toBe(409);
	});
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { connect, signUpOwner, startPipelineApp, type Owner } from '../pipeline/harness.ts';
import { signBody, signedWebhook, startFakePlatform, type FakePlatform } from '../fakes/platforms.ts';
import type { ConnectionView } from '../../src/lib/server/connections.ts';
import type { Platform } from '../../connectors/types.ts';

/**
 * Issue 11, low item ([C33]): Shopee, Lazada and TikTok Shop sign a body carrying its time; a
 * correctly signed delivery dated years ago (a captured webhook replayed) is refused with 401.
 */
const SIGNING_TIME: Platform[] = ['shopee', 'lazada', 'tiktok'];
const YEARS = 3 * 365 * 86_400_000;

let app: RunningApp;
let owner: Owner;
const connected = new Map<Platform, { fake: FakePlatform; connection: ConnectionView }>();

beforeAll(async () => {
	app = await startPipelineApp();
	owner = await signUpOwner(app);
	for (const platform of SIGNING_TIME) {
		const fake = await startFakePlatform(platform);
		connected.set(platform, { fake, connection: await connect(owner, fake) });
	}
});
afterAll(async () => {
	await app.close();
	await Promise.all([...connected.values()].map(({ fake }) => fake.close()));
});

/** The platform's own webhook for a customer message, its signed time moved by `shiftMs`, signed again correctly. */
function dated(platform: Platform, shiftMs: number) {
	const { connection } = connected.get(platform)!;
	const hook = signedWebhook(platform, { event: { kind: 'message', text: `replayed ${crypto.randomUUID()}` }, webhookUrl: connection.webhookUrl });
	const json = JSON.parse(hook.body.toString()) as { timestamp?: number };
	// Lazada's IM push may come without a time (its own sample has none); this one carries it, as others do.
	json.timestamp ??= Math.floor(Date.now() / 1000);
	const ms = json.timestamp > 1e11;
	json.timestamp = ms ? json.timestamp + shiftMs : json.timestamp + Math.round(shiftMs / 1000);
	const body = Buffer.from(JSON.stringify(json));
	return { body, headers: { 'content-type': 'application/json', ...signBody(platform, body, { webhookUrl: connection.webhookUrl }) } };
}

async function deliver(platform: Platform, shiftMs: number) {
	const { connection } = connected.get(platform)!;
	const { body, headers } = dated(platform, shiftMs);
	const res = await fetch(connection.webhookUrl, { method: 'POST', headers, body: new Uint8Array(body) });
	const text = await res.text();
	return { status: res.status, code: text ? JSON.parse(text).error?.code : null };
}

describe('a signed webhook dated long ago', () => {
	for (const platform of SIGNING_TIME) {
		it(`is refused on ${platform} with 401 stale_signature, while a fresh one is stored`, async () => {
			const old = await deliver(platform, -YEARS);
			const future = await deliver(platform, 3_600_000);
			const fresh = await deliver(platform, 0);
			console.log(`${platform}: 3 years old → ${old.status} ${old.code}; an hour ahead → ${future.status} ${future.code}; now → ${fresh.status}`);
			expect(old).toEqual({ status: 401, code: 'stale_signature' });
			expect(future).toEqual({ status: 401, code: 'stale_signature' });
			expect(fresh.status).toBe(200);
		});
	}
});

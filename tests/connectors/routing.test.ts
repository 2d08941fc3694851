/** Runs the routing rules of the connector contract (connectors/SPEC.md [C30]–[C32]) for every platform, on the real server. */
import { afterAll, beforeAll } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { PLATFORMS, type Platform } from '../../connectors/types.ts';
import { signedWebhook, uniqueAccountId, type FakePlatform } from '../fakes/platforms.ts';
import { testPool } from '../helpers/db.ts';
import { connect, deliver, signUpOwner, startFake, startPipelineApp } from '../pipeline/harness.ts';
import { routingContractSuite } from './contract.ts';

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

for (const platform of PLATFORMS as readonly Platform[]) {
	routingContractSuite({
		platform,
		async connectAccount() {
			const owner = await signUpOwner(app);
			const fake = await startFake(platform);
			fakes.push(fake);
			const connection = await connect(owner, fake);
			return { id: connection.id, externalId: connection.externalId, webhookUrl: connection.webhookUrl };
		},
		unknownAccountId: () => uniqueAccountId(platform),
		get appWebhookUrl() {
			return `${app.url}/webhooks/${platform}`;
		},
		connectionWebhookUrl: (connectionId) => `${app.url}/webhooks/${platform}/${connectionId}`,
		webhook: (accountId, messageId, url) => signedWebhook(platform, { event: { kind: 'message', text: 'Is this routed?', messageId }, webhookUrl: url, accountId }),
		deliver: (url, webhook) => deliver(url, webhook),
		async storedUnder(messageId) {
			const { rows } = await db.query<{ connection_id: string }>(`select connection_id from inbound_events where payload->>'platformMessageId' = $1 order by id`, [messageId]);
			return rows.map((row) => row.connection_id);
		},
		async unknownAccountDrops() {
			const health = await (await fetch(`${app.url}/healthz`)).json();
			return health.webhooks.dropped.unknown_account as number;
		}
	});
}

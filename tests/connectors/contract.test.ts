/** Runs the connector contract (connectors/SPEC.md) for every platform against its fake. */
import { getConnector } from '../../connectors/registry.ts';
import { PLATFORMS } from '../../connectors/types.ts';
import {
	SAMPLE_ORDERS,
	THAI_TEXT,
	otherCredentials,
	signBody,
	signedWebhook,
	startFakePlatform,
	testConfig,
	testCredentials
} from '../fakes/platforms.ts';
import { connectorContractSuite } from './contract.ts';

for (const platform of PLATFORMS) {
	connectorContractSuite(getConnector(platform), {
		startFake: () => startFakePlatform(platform),
		webhook: (event, options = {}) => signedWebhook(platform, { event, ...options }),
		signBody: (rawBody, credentials) => signBody(platform, rawBody, { credentials }),
		credentials: testCredentials(platform),
		otherCredentials: otherCredentials(platform),
		webhookUrl: testConfig(platform).webhookUrl,
		orders: SAMPLE_ORDERS,
		thaiText: THAI_TEXT
	});
}

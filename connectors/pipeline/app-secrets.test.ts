import { describe, expect, it } from 'vitest';
import { getConnector } from '../registry.ts';
import { pushSignature } from '../lazada/verify.ts';
import type { OpenConnection } from '../../src/lib/server/connections.ts';
import type { LazadaCredentials } from '../lazada/credentials.ts';
import { appVerifiers } from './app-secrets.ts';

const OLD: LazadaCredentials = { appKey: '123456', appSecret: 'the-secret-before-rotation', accessToken: 'token-a' };
const APP = { id: '123456', secret: 'the-secret-set-for-the-deployment' };

function connection(id: string, credentials: LazadaCredentials): OpenConnection {
	return { id, workspaceId: 'w', platform: 'lazada', name: id, externalId: id, status: 'active', verifyToken: null, settings: {}, apiBaseUrl: undefined, credentials };
}

/** The connections whose events a body is filed under: those a verifier that verifies it vouches for. */
function vouched(body: Uint8Array, secret: string, connections: OpenConnection[], app: typeof APP | null): string[] {
	const lazada = getConnector('lazada');
	const request = { rawBody: body, headers: { authorization: pushSignature({ ...OLD, appSecret: secret }, body) }, url: 'https://chatmai.example/webhooks/lazada' };
	return appVerifiers('lazada', undefined, connections, app)
		.filter((v) => lazada.verify(request, v.credentials))
		.flatMap((v) => v.vouchesFor.map((c) => c.id))
		.sort();
}

describe('the deployment’s app as a verifier', () => {
	const body = new TextEncoder().encode('{"seller_id":"a","message_type":2,"data":{},"timestamp":1}');
	const a = connection('a', OLD);
	const b = connection('b', { ...OLD, accessToken: 'token-b' });
	const otherApp = connection('c', { appKey: '999999', appSecret: 'the-secret-before-rotation', accessToken: 'token-c' });

	it('vouches for every connection of its app when the body is signed with the app’s secret, though they hold an older one', () => {
		expect(vouched(body, APP.secret, [a, b, otherApp], APP)).toEqual(['a', 'b']);
	});

	it('vouches for nothing without a deployment app, and leaves each connection’s own secret working', () => {
		expect(vouched(body, APP.secret, [a, b], null)).toEqual([]);
		expect(vouched(body, OLD.appSecret, [a, b, otherApp], APP)).toEqual(['a', 'b']);
	});

	it('is not used for a URL naming another app', () => {
		expect(appVerifiers('lazada', '999999', [a, otherApp], APP).map((v) => v.vouchesFor.map((c) => c.id))).toEqual([['c']]);
	});
});

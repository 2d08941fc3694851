/**
 * The one place that maps a platform name to its connector. Everything else asks the connector
 * (its capabilities, its methods) instead of switching on the platform string.
 */
import { facebook } from './facebook/index.ts';
import { instagram } from './instagram/index.ts';
import { lazada } from './lazada/index.ts';
import { line } from './line/index.ts';
import { shopee } from './shopee/index.ts';
import { tiktok } from './tiktok/index.ts';
import type { Connector, Platform } from './types.ts';

export const connectors: { readonly [P in Platform]: Connector<unknown> } = { facebook, instagram, line, shopee, lazada, tiktok };

/**
 * The connector for a platform. Its methods take credentials of the connector's own type: parse the decrypted
 * blob with `connector.credentialSchema` first and pass what it returns.
 */
export function getConnector(platform: Platform): Connector<unknown> {
	return connectors[platform];
}

/**
 * Where ChatMai's server may send requests on behalf of a workspace: the one policy for platform
 * API hosts (connectors/pipeline) and platform media (the media proxy). Outside test mode a
 * workspace cannot point the server anywhere: platform calls go to the platform's real host or the
 * operator's CHATMAI_<PLATFORM>_API_URL, and fetched media must resolve to public addresses only.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import type { Config } from './env.ts';
import { DomainError } from './errors.ts';

/**
 * Whether a connection may carry its own API host (`apiBaseUrl`): only in test mode, where the
 * test suite and the simulator point connections at fake platforms.
 */
export function connectionApiUrlsAllowed(env: Config['env']): boolean {
	return env === 'test';
}

const internal = new BlockList();
for (const [network, prefix] of [
	['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
	['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
	['224.0.0.0', 4], ['240.0.0.0', 4]
] as const) internal.addSubnet(network, prefix, 'ipv4');
for (const [network, prefix] of [
	['::', 128], ['::1', 128], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8]
] as const) internal.addSubnet(network, prefix, 'ipv6');

/** Loopback, private, link-local, carrier-grade NAT, documentation, multicast and reserved addresses. */
export function isInternalAddress(address: string): boolean {
	const family = isIP(address);
	if (family === 4) return internal.check(address, 'ipv4');
	if (family === 6) {
		const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
		return mapped ? internal.check(mapped[1], 'ipv4') : internal.check(address, 'ipv6');
	}
	return true;
}

export class OutboundRefused extends DomainError<'internal_address' | 'bad_url'> {
	readonly reason: 'internal_address' | 'bad_url';
	constructor(reason: OutboundRefused['reason'], message: string) {
		super(400, reason, message);
		this.name = 'OutboundRefused';
		this.reason = reason;
	}
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A `lookup` for node:http(s) requests that refuses internal addresses (unless `allowInternal`),
 * checked on the address actually connected to, so a DNS answer cannot change between check and use.
 */
export function publicOnlyLookup(allowInternal: boolean) {
	return (hostname: string, options: { all?: boolean } & Record<string, unknown>, callback: LookupCallback): void => {
		dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
			if (error) return callback(error, options.all ? [] : '');
			const list = addresses as LookupAddress[];
			const refused = !allowInternal && list.some((a) => isInternalAddress(a.address));
			if (refused || list.length === 0) {
				const denied = new OutboundRefused('internal_address', `${hostname} resolves to an internal address`) as NodeJS.ErrnoException;
				denied.code = 'EINTERNAL';
				return callback(denied, options.all ? [] : '');
			}
			if (options.all) callback(null, list);
			else callback(null, list[0].address, list[0].family);
		});
	};
}

/** Refuses a literal internal IP in a URL before any request (the lookup above covers host names). */
export function assertFetchableUrl(raw: string, allowInternal: boolean): URL {
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		throw new OutboundRefused('bad_url', 'not a URL');
	}
	if (url.protocol !== 'https:' && !(allowInternal && url.protocol === 'http:')) throw new OutboundRefused('bad_url', 'only https URLs are fetched');
	if (url.username || url.password) throw new OutboundRefused('bad_url', 'URLs with credentials are not fetched');
	const host = url.hostname.replace(/^\[|\]$/g, '');
	if (!allowInternal && (isIP(host) ? isInternalAddress(host) : host === 'localhost' || host.endsWith('.localhost'))) {
		throw new OutboundRefused('internal_address', `${host} is an internal address`);
	}
	return url;
}

import type { RequestEvent } from '@sveltejs/kit';
import { clientIp } from '../http/request.ts';
import { services } from '../services.ts';
import type { DeletionContext } from './deletion.ts';

/** The deletion context the privacy routes share, from the running services. */
export function deletionContext(event: Pick<RequestEvent, 'url' | 'getClientAddress'>): DeletionContext {
	const { db, keyRing, platforms, config } = services();
	return { db, keyRing, platforms, config, origin: config.origin ?? event.url.origin, ip: clientIp(event) ?? null };
}

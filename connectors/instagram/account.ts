/**
 * Instagram (through its linked Page) authorization (Facebook Login for Pages), identity and customer profiles.
 * The shared Meta code and the docs it follows are in ../shared/meta.ts.
 */
import { identifyMeta, metaAuthorization, metaProfile, type MetaCredentials } from '../shared/meta.ts';
import type { AccountIdentity, CallContext, CustomerProfile } from '../types.ts';

export const authorization = metaAuthorization('instagram');

export function identify(ctx: CallContext<MetaCredentials>): Promise<AccountIdentity> {
	return identifyMeta('instagram', ctx);
}

export function profile(customerId: string, ctx: CallContext<MetaCredentials>): Promise<CustomerProfile> {
	return metaProfile('instagram', customerId, ctx);
}

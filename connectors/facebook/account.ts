/**
 * Facebook Page authorization (Facebook Login for Pages), identity and customer profiles.
 * The shared Meta code and the docs it follows are in ../shared/meta.ts.
 */
import { identifyMeta, metaAuthorization, metaProfile, type MetaCredentials } from '../shared/meta.ts';
import type { AccountIdentity, CallContext, CustomerProfile } from '../types.ts';

export const authorization = metaAuthorization('facebook');

export function identify(ctx: CallContext<MetaCredentials>): Promise<AccountIdentity> {
	return identifyMeta('facebook', ctx);
}

export function profile(customerId: string, ctx: CallContext<MetaCredentials>): Promise<CustomerProfile> {
	return metaProfile('facebook', customerId, ctx);
}

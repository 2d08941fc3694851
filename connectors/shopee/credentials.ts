/** Shopee Open Platform v2 app and shop secrets: https://open.shopee.com/developer-guide/20 */
import { z } from 'zod';

export const credentialSchema = z.object({
	partnerId: z.string().regex(/^\d+$/, 'partner id is a number'),
	/** Signs API calls. */
	partnerKey: z.string().min(1),
	/** Signs push (webhook) calls when the console shows a separate push key. @default partnerKey */
	pushPartnerKey: z.string().min(1).optional(),
	/** The shop's access token (valid 4 hours; renewed by `refresh`). */
	accessToken: z.string().min(1),
	/** Renews the access token (`refresh`); absent for tokens pasted by hand. */
	refreshToken: z.string().min(1).optional()
});
export type ShopeeCredentials = z.infer<typeof credentialSchema>;

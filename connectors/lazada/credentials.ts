/** Lazada Open Platform app and seller secrets: https://open.lazada.com/apps/doc/doc?nodeId=10434&docId=108260 */
import { z } from 'zod';

export const credentialSchema = z.object({
	appKey: z.string().min(1),
	/** Signs API calls and pushes. */
	appSecret: z.string().min(1),
	/** The seller's access token. */
	accessToken: z.string().min(1),
	/** Renews the access token (`refresh`); absent for tokens pasted by hand. */
	refreshToken: z.string().min(1).optional()
});
export type LazadaCredentials = z.infer<typeof credentialSchema>;

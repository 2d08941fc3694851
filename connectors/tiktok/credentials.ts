/** TikTok Shop Partner Center app and shop secrets: https://partner.tiktokshop.com/docv2/page/authorization-overview-202407 */
import { z } from 'zod';

export const credentialSchema = z.object({
	appKey: z.string().min(1),
	/** Signs API calls and webhooks. */
	appSecret: z.string().min(1),
	/** The shop's access token, sent as `x-tts-access-token`. */
	accessToken: z.string().min(1),
	/** Renews the access token (`refresh`); absent for tokens pasted by hand. */
	refreshToken: z.string().min(1).optional()
});
export type TikTokCredentials = z.infer<typeof credentialSchema>;

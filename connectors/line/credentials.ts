/** What a LINE Official Account connection needs: https://developers.line.biz/en/docs/messaging-api/getting-started/ */
import { z } from 'zod';

export const credentialSchema = z.object({
	/** Channel secret: signs webhooks. */
	channelSecret: z.string().min(1),
	/** Long-lived (or v2.1) channel access token, sent as `Authorization: Bearer`. */
	channelAccessToken: z.string().min(1)
});
export type LineCredentials = z.infer<typeof credentialSchema>;

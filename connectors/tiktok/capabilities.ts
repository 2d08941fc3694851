/**
 * TikTok Shop's limits and windows are its entry in the platform facts (src/lib/platforms.ts), which names the
 * docs they come from and marks what we could not confirm: the server and the browser read the same figures.
 */
import { PLATFORM_FACTS, type Capabilities } from '../types.ts';

export const capabilities: Capabilities = PLATFORM_FACTS.tiktok;

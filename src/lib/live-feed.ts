import type { ConversationSummary } from './server/conversations.ts';

/**
 * The workspace feed's wire format, shared by the browser (src/lib/state/live.svelte.ts) and the
 * collab server (collab/feed.ts): the document a browser subscribes to and the stateless messages
 * it receives there. The document itself never holds content.
 */

export const FEED_PREFIX = 'workspace:';

const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The feed document of a workspace: `workspace:<uuid>`, the UUID in lower case. */
export function workspaceFeedName(workspaceId: string): string {
	return FEED_PREFIX + workspaceId.toLowerCase();
}

/** The workspace id of a feed document name, or null unless it is exactly `workspace:<uuid>`. */
export function parseWorkspaceFeedName(name: string): string | null {
	if (!name.startsWith(FEED_PREFIX)) return null;
	const id = name.slice(FEED_PREFIX.length);
	return CANONICAL_UUID.test(id) ? id : null;
}

/**
 * What the feed pushes:
 * - `conversations`: list rows as `GET /conversations` returns them, newer `version` wins;
 * - `notification`: the receiving member has a new notification (read them over REST);
 * - `report`: the dashboard's figures may have changed (at most about twice a second).
 */
export type FeedMessage =
	| { type: 'conversations'; items: ConversationSummary[] }
	| { type: 'notification' }
	| { type: 'report' };

export function parseFeedMessage(payload: string): FeedMessage | null {
	try {
		const message = JSON.parse(payload) as FeedMessage;
		if (message?.type === 'conversations' && Array.isArray(message.items)) return message;
		if (message?.type === 'notification' || message?.type === 'report') return { type: message.type };
	} catch {
		// not ours
	}
	return null;
}

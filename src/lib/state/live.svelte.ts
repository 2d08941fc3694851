import { createContext } from 'svelte';
import * as Y from 'yjs';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { RECONNECT } from '$lib/collab-reconnect';
import type { ApiClient } from '$lib/components/inbox/api';
import { parseFeedMessage, workspaceFeedName, type FeedMessage } from '$lib/live-feed';
import type { PresenceUser } from '$lib/conversation-doc';

/**
 * The live channel of one workspace: a read-only `workspace:<uuid>` document on `/collab` that
 * never holds content; the server pushes what changes (list rows, "you have a notification", "the
 * figures moved") as stateless messages on it (collab/README.md, "The workspace feed"). The inbox
 * list, the bell and the dashboard listen here instead of polling. Each time the channel is
 * (re)authenticated, `onConnect` listeners run once to catch up over REST on what was missed while
 * it was down. One per workspace shell, handed down through context.
 */
export class LiveFeed {
	/** True while the channel is authenticated and receiving. */
	connected = $state(false);
	/** The server refused the channel (signed out, no longer a member). */
	denied: string | null = $state(null);
	/** Members with the app open in this workspace now, one entry per user (presence on the feed). */
	online: PresenceUser[] = $state([]);

	readonly workspaceId: string;
	#api: ApiClient;
	#url: string | undefined;
	#listeners = new Set<(message: FeedMessage) => void>();
	#connectListeners = new Set<() => void>();
	#socket: HocuspocusProviderWebsocket | null = null;
	#provider: HocuspocusProvider | null = null;

	constructor(options: { workspaceId: string; api: ApiClient; url?: string }) {
		this.workspaceId = options.workspaceId;
		this.#api = options.api;
		this.#url = options.url;
	}

	/** Calls `listener` with every pushed message; returns the unsubscribe function. */
	on(listener: (message: FeedMessage) => void): () => void {
		this.#listeners.add(listener);
		return () => this.#listeners.delete(listener);
	}

	/** Calls `listener` on every (re)connect (and now, when already connected); returns the unsubscribe function. */
	onConnect(listener: () => void): () => void {
		this.#connectListeners.add(listener);
		if (this.connected) listener();
		return () => this.#connectListeners.delete(listener);
	}

	/** Opens the channel; returns the close function (for an $effect's cleanup). */
	start(): () => void {
		const url = this.#url ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/collab`;
		// The same back-off as the conversation documents' sockets: quick alone, spread out in a storm.
		this.#socket = new HocuspocusProviderWebsocket({ url, ...RECONNECT });
		this.#provider = new HocuspocusProvider({
			websocketProvider: this.#socket,
			name: workspaceFeedName(this.workspaceId),
			token: async () => (await this.#api.send<{ ticket: string }>('POST', '/collab/ticket')).ticket,
			document: new Y.Doc(),
			onAuthenticated: () => {
				this.denied = null;
				this.connected = true;
				for (const listener of this.#connectListeners) listener();
			},
			onAuthenticationFailed: ({ reason }) => {
				this.denied = reason || 'denied';
				this.connected = false;
			},
			onStatus: ({ status }) => {
				if (status !== 'connected') this.connected = false;
			},
			onClose: () => {
				this.connected = false;
			},
			onAwarenessChange: ({ states }) => {
				const byUser = new Map<string, PresenceUser>();
				for (const state of states) {
					const user = state.user as PresenceUser | undefined;
					if (user?.id) byUser.set(user.id, user);
				}
				this.online = [...byUser.values()];
			},
			onStateless: ({ payload }) => {
				const message = parseFeedMessage(payload);
				if (message) for (const listener of this.#listeners) listener(message);
			}
		});
		this.#provider.attach();
		// Present on the floor while this tab is open (the server stamps who).
		this.#provider.setAwarenessField('online', true);
		const online = () => void this.#socket?.connect();
		window.addEventListener('online', online);
		return () => {
			window.removeEventListener('online', online);
			this.#provider?.destroy();
			this.#socket?.destroy();
			this.#provider = null;
			this.#socket = null;
			this.connected = false;
		};
	}
}

const [getLiveFeed, setLiveFeed] = createContext<LiveFeed>();
export const useLiveFeed = getLiveFeed;
export { setLiveFeed };

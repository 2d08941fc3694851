import { createContext } from 'svelte';
import * as Y from 'yjs';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { RECONNECT } from '$lib/collab-reconnect';
import { conversationDoc, conversationDocName, draftText, readLabels, readMessages, readMeta, readNotes, type ConversationMeta, type ConversationStatus, type LiveMessage, type Note, type PresenceUser } from '$lib/conversation-doc';
import { addLabel, addNote, removeLabel, setAssignee, setStatus } from '$lib/conversation-edits';
import { AI_FIELD, dismissAiDraft, markAiDraftStale, readAiDraft, requestAiStop, type AiDraftStatus } from '$lib/ai-draft-doc';
import type { HistoryMessage, MessagePage } from '$lib/server/messages';
import type { ApiClient } from '$lib/components/inbox/api';

/**
 * One open conversation: its live document over the collab WebSocket (created once when the view
 * opens, destroyed when it closes), the shared state read from it as runes, presence from
 * awareness, and older history paged in over REST. Offline edits stay in the local Y.Doc and merge
 * when the socket comes back.
 */

export type Connection = 'connecting' | 'connected' | 'offline';

export interface Peer {
	clientId: number;
	user: PresenceUser;
	typing: boolean;
}

export interface LiveConversationOptions {
	conversationId: string;
	api: ApiClient;
	/** @default same origin `/collab` */
	url?: string;
}

/** How long after the last keystroke "typing…" stays on. */
const TYPING_MS = 2500;

export class LiveConversation {
	readonly id: string;
	readonly doc = new Y.Doc();
	/** Set once connected; the reply editor waits for it (its carets ride on the awareness). */
	provider: HocuspocusProvider | null = $state.raw(null);

	connection: Connection = $state('connecting');
	/** The document has been received once (before that the thread shows a loading state). */
	synced = $state(false);
	/** Supervisors: the server refuses their edits, so the UI offers none. */
	readOnly = $state(false);
	/** The server refused the document (not found, signed out). */
	denied: string | null = $state(null);
	/** Local changes not yet acknowledged by the server. */
	unsynced = $state(0);

	meta: ConversationMeta = $state({ status: 'open', snoozedUntil: null, assigneeId: null });
	labels: string[] = $state([]);
	notes: Note[] = $state([]);
	window: LiveMessage[] = $state([]);
	draftEmpty = $state(true);
	/** The shared draft as plain text, as it would be sent (the composer counts it against the platform's limits). */
	draftBody = $state('');
	peers: Peer[] = $state([]);
	/** Whether the AI is writing into the draft, or stopped before finishing (the document's `ai` map). */
	aiDraft: AiDraftStatus = $state({ state: 'idle', byName: null, reason: null, at: null });

	/** Older messages from REST, oldest first. */
	history: HistoryMessage[] = $state([]);
	historyDone = $state(false);
	historyLoading = $state(false);

	#api: ApiClient;
	#url: string | undefined;
	#socket: HocuspocusProviderWebsocket | null = null;
	#typingTimer: ReturnType<typeof setTimeout> | null = null;
	#cleanup: (() => void)[] = [];

	constructor(options: LiveConversationOptions) {
		this.id = options.conversationId;
		this.#api = options.api;
		this.#url = options.url;
	}

	/** Every message to show: REST history before the live window, one entry per id. */
	readonly messages: (LiveMessage | (HistoryMessage & { delivery: null }))[] = $derived.by(() => {
		const live = new Set(this.window.map((m) => m.id));
		const first = this.window[0]?.sentAt;
		const older = this.history.filter((m) => !live.has(m.id) && (!first || m.sentAt <= first)).map((m) => ({ ...m, delivery: null }));
		return [...older, ...this.window];
	});

	readonly typingPeers: Peer[] = $derived(this.peers.filter((p) => p.typing));

	/** Opens the document. Browser only; call once, from the view's effect. */
	connect(): void {
		const url = this.#url ?? `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/collab`;
		const shared = conversationDoc(this.doc);
		// Each part is read again only when its own shared type changes (a keystroke in the draft
		// does not re-render the thread).
		const readMetaPart = () => (this.meta = readMeta(this.doc));
		const readLabelsPart = () => (this.labels = readLabels(this.doc));
		const readNotesPart = () => (this.notes = readNotes(this.doc));
		const readWindow = () => (this.window = readMessages(this.doc));
		const readDraft = () => {
			const text = draftText(this.doc);
			this.draftEmpty = text.length === 0;
			this.draftBody = text;
		};
		const watch = (type: Y.AbstractType<any>, fn: () => void, deep = false) => {
			if (deep) type.observeDeep(fn);
			else type.observe(fn);
			this.#cleanup.push(() => (deep ? type.unobserveDeep(fn) : type.unobserve(fn)));
		};
		watch(shared.meta, readMetaPart);
		watch(shared.labels, readLabelsPart);
		watch(shared.notes, readNotesPart);
		watch(shared.messages, readWindow);
		watch(shared.delivery, readWindow);
		watch(shared.draft, readDraft, true);
		const readAi = () => (this.aiDraft = readAiDraft(this.doc));
		watch(this.doc.getMap(AI_FIELD), readAi);
		const read = () => {
			readAi();
			readMetaPart();
			readLabelsPart();
			readNotesPart();
			readWindow();
			readDraft();
		};
		read();

		// Back quickly when alone, spread out when a restart brings every tab back at once.
		this.#socket = new HocuspocusProviderWebsocket({ url, ...RECONNECT });
		this.provider = new HocuspocusProvider({
			websocketProvider: this.#socket,
			name: conversationDocName(this.id),
			// A short-lived collab ticket per (re)connect: the session token stays in its HttpOnly cookie.
			token: async () => (await this.#api.send<{ ticket: string }>('POST', '/collab/ticket')).ticket,
			document: this.doc,
			onStatus: ({ status }) => {
				this.connection = status === 'connected' ? 'connected' : this.synced ? 'offline' : 'connecting';
				if (status === 'connected' && !navigator.onLine) this.connection = 'offline';
			},
			onSynced: ({ state }) => {
				if (state) this.synced = true;
				read();
			},
			onAuthenticated: ({ scope }) => {
				this.readOnly = scope === 'readonly';
				this.denied = null;
			},
			onAuthenticationFailed: ({ reason }) => {
				this.denied = reason || 'denied';
			},
			onUnsyncedChanges: ({ number }) => {
				this.unsynced = number;
			},
			onAwarenessChange: ({ states }) => this.#readPeers(states)
		});
		this.provider.attach();
		this.provider.setAwarenessField('viewing', true);
		this.provider.setAwarenessField('typing', false);

		const online = () => {
			// The socket may have stayed open through a short outage; otherwise reconnect now, not after the back-off.
			if (this.#socket?.status === 'connected') this.connection = 'connected';
			void this.#socket?.connect();
		};
		const offline = () => {
			this.connection = 'offline';
		};
		window.addEventListener('online', online);
		window.addEventListener('offline', offline);
		this.#cleanup.push(() => {
			window.removeEventListener('online', online);
			window.removeEventListener('offline', offline);
		});
	}

	#readPeers(states: { clientId: number; [key: string]: unknown }[]): void {
		const own = this.doc.clientID;
		const byUser = new Map<string, Peer>();
		for (const state of states) {
			const user = state.user as PresenceUser | undefined;
			if (state.clientId === own || !user?.id || state.viewing === false) continue;
			const existing = byUser.get(user.id);
			byUser.set(user.id, { clientId: state.clientId, user, typing: Boolean(state.typing) || Boolean(existing?.typing) });
		}
		this.peers = [...byUser.values()];
	}

	/** Called on every local keystroke in the reply box. */
	typed(): void {
		if (this.readOnly || !this.provider) return;
		if (!this.#typingTimer) this.provider.setAwarenessField('typing', true);
		else clearTimeout(this.#typingTimer);
		this.#typingTimer = setTimeout(() => {
			this.#typingTimer = null;
			this.provider?.setAwarenessField('typing', false);
		}, TYPING_MS);
	}

	stopTyping(): void {
		if (this.#typingTimer) clearTimeout(this.#typingTimer);
		this.#typingTimer = null;
		this.provider?.setAwarenessField('typing', false);
	}

	setStatus(status: ConversationStatus, snoozedUntil: string | null = null): void {
		if (!this.readOnly) setStatus(this.doc, status, snoozedUntil);
	}

	assign(userId: string | null): void {
		if (!this.readOnly) setAssignee(this.doc, userId);
	}

	addLabel(label: string): void {
		if (!this.readOnly) addLabel(this.doc, label);
	}

	removeLabel(label: string): void {
		if (!this.readOnly) removeLabel(this.doc, label);
	}

	addNote(body: string, mentions: string[], author: { id: string; name: string }): void {
		if (!this.readOnly) addNote(this.doc, { body, mentions, authorId: author.id, authorName: author.name });
	}

	/** Closes the notice of an AI draft that stopped before finishing. */
	dismissAiDraft(): void {
		if (!this.readOnly) dismissAiDraft(this.doc);
	}

	/**
	 * Stops the AI writing the draft (the server holding the stream sees it in the document). When
	 * no server answers within `staleMs` (its process died mid-stream), the text is marked
	 * interrupted instead.
	 */
	stopAiDraft(staleMs = 5000): void {
		if (this.readOnly || this.aiDraft.state !== 'writing') return;
		const at = this.aiDraft.at;
		requestAiStop(this.doc);
		setTimeout(() => {
			if (at && !this.readOnly && this.provider) markAiDraftStale(this.doc, at);
		}, staleMs);
	}

	/** The draft as the text that will be sent. */
	draft(): string {
		return draftText(this.doc);
	}

	/** Loads the page of history before the oldest message shown. */
	async loadOlder(): Promise<void> {
		if (this.historyLoading || this.historyDone) return;
		const oldest = this.messages[0];
		this.historyLoading = true;
		try {
			const query = oldest ? `?before=${oldest.id}&limit=50` : '?limit=50';
			const page = await this.#api.get<MessagePage>(`/conversations/${this.id}/messages${query}`);
			const known = new Set(this.messages.map((m) => m.id));
			this.history = [...page.messages.filter((m) => !known.has(m.id)), ...this.history];
			if (!page.nextBefore) this.historyDone = true;
		} finally {
			this.historyLoading = false;
		}
	}

	destroy(): void {
		this.stopTyping();
		for (const fn of this.#cleanup.splice(0)) fn();
		this.provider?.destroy();
		this.#socket?.destroy();
		this.provider = null;
		this.#socket = null;
		this.doc.destroy();
	}
}

const [getConversation, setConversation] = createContext<LiveConversation>();
export const useConversation = getConversation;
export { setConversation };

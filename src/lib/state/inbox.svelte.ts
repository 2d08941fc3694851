import { createContext } from 'svelte';
import type { ConversationPage, ConversationSummary } from '$lib/server/conversations';
import type { ApiClient } from '$lib/components/inbox/api';
import type { LiveConversation } from './conversation.svelte';
import type { LiveFeed } from './live.svelte';

/**
 * The live conversation list of one inbox page. Filters, pages (keyset cursor, "load more"), and
 * the live part: rows that change (new messages, assignments, status, labels, reads) are pushed
 * over the workspace's live channel (`LiveFeed`) and merged into the rows it shows, newest
 * version of each row winning. Each time the channel (re)connects, the list catches up once on
 * what it missed through the changes feed (`GET /api/v1/conversations/changes?since=`).
 */

export type ListFilter = 'mine' | 'unassigned' | 'failed' | 'all';

export interface ListFilters {
	filter: ListFilter;
	status: ConversationSummary['status'] | '';
	platform: string;
	label: string;
	q: string;
	/** recent: newest message first; due: the platform's clock, soonest first (see PLATFORM_CLOCKS). */
	sort: 'recent' | 'due';
}

export const DEFAULT_FILTERS: ListFilters = { filter: 'all', status: '', platform: '', label: '', q: '', sort: 'recent' };

export interface InboxOptions {
	api: ApiClient;
	me: string;
	initial: ConversationPage;
	cursor: string;
}

/** The server's `sort=due` order: soonest deadline first, nothing owed last, then by id. */
function compareDue(a: ConversationSummary, b: ConversationSummary): number {
	if (a.dueAt !== b.dueAt) {
		if (a.dueAt === null) return 1;
		if (b.dueAt === null) return -1;
		return a.dueAt < b.dueAt ? -1 : 1;
	}
	return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function compare(a: ConversationSummary, b: ConversationSummary): number {
	if (a.lastMessageAt !== b.lastMessageAt) return a.lastMessageAt < b.lastMessageAt ? 1 : -1;
	return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

export class InboxList {
	items: ConversationSummary[] = $state([]);
	nextCursor: string | null = $state(null);
	filters: ListFilters = $state({ ...DEFAULT_FILTERS });
	loading = $state(false);
	loadingMore = $state(false);
	/** Set when the list could not be loaded; the UI offers a retry. */
	failed = $state(false);
	/** False while the live channel is down or the catch-up failed. */
	live = $state(true);
	/** The conversation open in the view, for highlighting and keyboard moves. */
	selectedId: string | null = $state(null);
	/** The open conversation's live document, for the e / a shortcuts; set by the view. */
	active: LiveConversation | null = $state(null);

	#api: ApiClient;
	#me: string;
	#cursor: string;
	#generation = 0;
	#catchingUp = false;

	constructor(options: InboxOptions) {
		this.#api = options.api;
		this.#me = options.me;
		this.items = options.initial.items;
		this.nextCursor = options.initial.nextCursor;
		this.#cursor = options.cursor;
	}

	get me(): string {
		return this.#me;
	}

	#query(cursor?: string | null): string {
		const params = new URLSearchParams({ filter: this.filters.filter, limit: '30' });
		if (this.filters.status) params.set('status', this.filters.status);
		if (this.filters.platform) params.set('platform', this.filters.platform);
		if (this.filters.label) params.set('label', this.filters.label);
		if (this.filters.q.trim()) params.set('q', this.filters.q.trim());
		if (this.filters.sort === 'due') params.set('sort', 'due');
		if (cursor) params.set('cursor', cursor);
		return params.toString();
	}

	/** Page one again with the current filters (after a filter change or a failure). */
	async reload(): Promise<void> {
		const generation = ++this.#generation;
		this.loading = true;
		this.failed = false;
		try {
			const page = await this.#api.get<ConversationPage>(`/conversations?${this.#query()}`);
			if (generation !== this.#generation) return;
			this.items = page.items;
			this.nextCursor = page.nextCursor;
		} catch {
			if (generation === this.#generation) this.failed = true;
		} finally {
			if (generation === this.#generation) this.loading = false;
		}
	}

	async loadMore(): Promise<void> {
		if (!this.nextCursor || this.loadingMore) return;
		const generation = this.#generation;
		this.loadingMore = true;
		try {
			const page = await this.#api.get<ConversationPage>(`/conversations?${this.#query(this.nextCursor)}`);
			if (generation !== this.#generation) return;
			const known = new Set(this.items.map((c) => c.id));
			this.items = [...this.items, ...page.items.filter((c) => !known.has(c.id))];
			this.nextCursor = page.nextCursor;
		} finally {
			this.loadingMore = false;
		}
	}

	setFilters(patch: Partial<ListFilters>): void {
		Object.assign(this.filters, patch);
		void this.reload();
	}

	/** Whether a conversation belongs in the list under the current filters (search aside). */
	matches(c: ConversationSummary): boolean {
		const f = this.filters;
		if (f.filter === 'mine' && c.assignee?.id !== this.#me) return false;
		if (f.filter === 'unassigned' && c.assignee) return false;
		if (f.filter === 'failed' && !c.failedReplies) return false;
		if (f.status && c.status !== f.status) return false;
		if (f.platform && c.platform !== f.platform) return false;
		if (f.label && !c.labels.includes(f.label)) return false;
		return true;
	}

	/** Merges changed conversations: updated in place, moved to their place, added or removed. */
	apply(incoming: ConversationSummary[]): void {
		// Pushes can cross: of two copies of a row, the one with the higher version is newer.
		const current = new Map(this.items.map((c) => [c.id, c]));
		const changed = incoming.filter((c) => (current.get(c.id)?.version ?? -1) <= c.version);
		if (!changed.length) return;
		if (this.filters.q.trim()) {
			// Whether a conversation matches a search is the server's to say.
			void this.reload();
			return;
		}
		const byId = new Map(this.items.map((c) => [c.id, c]));
		const last = this.items.at(-1);
		const compare = this.#compare;
		for (const c of changed) {
			if (c.id === this.selectedId) c.unreadCount = 0;
			if (!this.matches(c)) byId.delete(c.id);
			// Beyond the loaded pages it arrives with "load more", at its place.
			else if (byId.has(c.id) || !this.nextCursor || !last || compare(c, last) <= 0) byId.set(c.id, c);
		}
		this.items = [...byId.values()].sort(compare);
	}

	get #compare(): (a: ConversationSummary, b: ConversationSummary) => number {
		return this.filters.sort === 'due' ? compareDue : compare;
	}

	/** Shows a change made here at once (the pushed row confirms it). */
	patch(id: string, patch: Partial<ConversationSummary>): void {
		const index = this.items.findIndex((c) => c.id === id);
		if (index < 0) return;
		const next = { ...this.items[index], ...patch };
		if (!this.matches(next)) this.items.splice(index, 1);
		else this.items[index] = next;
	}

	/** Reads what changed since the last look through the changes feed (after the channel (re)connects). */
	async catchUp(): Promise<void> {
		if (this.#catchingUp) return;
		this.#catchingUp = true;
		try {
			for (let round = 0; round < 5; round++) {
				const since = encodeURIComponent(this.#cursor);
				const changes = await this.#api.get<{ items: ConversationSummary[]; cursor: string; more: boolean }>(`/conversations/changes?since=${since}`);
				this.#cursor = changes.cursor;
				this.apply(changes.items);
				this.live = true;
				if (!changes.more) break;
			}
		} catch {
			this.live = false;
		} finally {
			this.#catchingUp = false;
		}
	}

	/** Listens on the live channel; returns the stop function (for an $effect's cleanup). */
	start(feed: LiveFeed): () => void {
		const stopRows = feed.on((message) => {
			if (message.type === 'conversations') this.apply(message.items);
		});
		const stopConnect = feed.onConnect(() => void this.catchUp());
		return () => {
			stopRows();
			stopConnect();
		};
	}

	/** The id `step` rows away from the selected one (j/k). */
	neighbour(step: 1 | -1): string | null {
		if (!this.items.length) return null;
		const index = this.items.findIndex((c) => c.id === this.selectedId);
		if (index < 0) return this.items[step === 1 ? 0 : this.items.length - 1].id;
		return this.items[Math.min(Math.max(index + step, 0), this.items.length - 1)].id;
	}
}

const [getInbox, setInbox] = createContext<InboxList>();
export const useInbox = getInbox;
export { setInbox };

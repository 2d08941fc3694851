import { createContext } from 'svelte';
import type { ConversationPage, ConversationSummary } from '$lib/server/conversations';
import type { ApiClient } from '$lib/components/inbox/api';
import type { LiveConversation } from './conversation.svelte';

/**
 * The live conversation list of one inbox page. Filters, pages (keyset cursor, "load more"), and
 * the live part: it polls the changes feed (`GET /api/v1/conversations/changes?since=`) every few
 * seconds and merges what changed into the rows it shows, so new messages, assignments and status
 * changes appear for every agent without a reload. Polling is the transport because it works the
 * same on PostgreSQL and the embedded database, behind any proxy, and needs no server state.
 */

export type ListFilter = 'mine' | 'unassigned' | 'all';

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

/** @default 3000 ms between polls while the tab is visible. */
export const POLL_MS = 3000;

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
	/** False while the changes feed cannot be reached. */
	live = $state(true);
	/** The conversation open in the view, for highlighting and keyboard moves. */
	selectedId: string | null = $state(null);
	/** The open conversation's live document, for the e / a shortcuts; set by the view. */
	active: LiveConversation | null = $state(null);

	#api: ApiClient;
	#me: string;
	#cursor: string;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#generation = 0;
	#polling = false;

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
		if (f.status && c.status !== f.status) return false;
		if (f.platform && c.platform !== f.platform) return false;
		if (f.label && !c.labels.includes(f.label)) return false;
		return true;
	}

	/** Merges changed conversations: updated in place, moved to their place, added or removed. */
	apply(changed: ConversationSummary[]): void {
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

	/** Shows a change made here at once (the next poll confirms it). */
	patch(id: string, patch: Partial<ConversationSummary>): void {
		const index = this.items.findIndex((c) => c.id === id);
		if (index < 0) return;
		const next = { ...this.items[index], ...patch };
		if (!this.matches(next)) this.items.splice(index, 1);
		else this.items[index] = next;
	}

	async poll(): Promise<void> {
		if (this.#polling) return;
		this.#polling = true;
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
			this.#polling = false;
		}
	}

	/** Starts polling; returns the stop function (for an $effect's cleanup). */
	start(): () => void {
		let stopped = false;
		const tick = async () => {
			if (stopped) return;
			if (document.visibilityState === 'visible') await this.poll();
			if (!stopped) this.#timer = setTimeout(tick, POLL_MS);
		};
		const wake = () => {
			if (document.visibilityState === 'visible') void this.poll();
		};
		this.#timer = setTimeout(tick, POLL_MS);
		document.addEventListener('visibilitychange', wake);
		window.addEventListener('online', wake);
		return () => {
			stopped = true;
			if (this.#timer) clearTimeout(this.#timer);
			document.removeEventListener('visibilitychange', wake);
			window.removeEventListener('online', wake);
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

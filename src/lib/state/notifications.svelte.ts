import type { NotificationView } from '$lib/server/notifications';
import type { ApiClient } from '$lib/components/inbox/api';
import type { LiveFeed } from './live.svelte';

/**
 * The signed-in member's notifications (mentions in notes, assignments) for the app shell's bell.
 * Reads `GET /api/v1/notifications` when the live channel says one was created for this member
 * and once on every (re)connect; marking read shows at once and is confirmed by a read. One
 * instance per shell, owned by the component that shows it (never a module singleton).
 */
export class NotificationFeed {
	items: NotificationView[] = $state([]);
	unread = $state(0);
	/** False until the first answer. */
	loaded = $state(false);
	/** Set when the last poll failed; the list keeps what it had. */
	failed = $state(false);

	#api: ApiClient;
	#polling = false;
	#again = false;
	#seen: Set<string> | null = null;
	/** Called with notifications not seen before, from the second read on (alerts). */
	onNew: ((items: NotificationView[]) => void) | null = null;
	#generation = 0;

	constructor(api: ApiClient) {
		this.#api = api;
	}

	async refresh(): Promise<void> {
		// One read at a time; a push during it reads once more after.
		if (this.#polling) {
			this.#again = true;
			return;
		}
		this.#polling = true;
		const generation = this.#generation;
		try {
			const page = await this.#api.get<{ items: NotificationView[]; unread: number }>('/notifications?limit=20');
			// A mark-read sent meanwhile wins over this older answer.
			if (generation !== this.#generation) return;
			const fresh = this.#seen ? page.items.filter((n) => !this.#seen!.has(n.id)) : [];
			this.#seen = new Set([...(this.#seen ?? []), ...page.items.map((n) => n.id)]);
			this.items = page.items;
			this.unread = page.unread;
			if (fresh.length) this.onNew?.(fresh);
			this.loaded = true;
			this.failed = false;
		} catch {
			this.failed = true;
		} finally {
			this.#polling = false;
			if (this.#again) {
				this.#again = false;
				void this.refresh();
			}
		}
	}

	/** Marks the given notifications (all when `ids` is absent) as read. */
	async markRead(ids?: string[]): Promise<void> {
		const targets = new Set(ids ?? this.items.filter((n) => !n.read).map((n) => n.id));
		const newlyRead = this.items.filter((n) => !n.read && targets.has(n.id)).length;
		if (!ids && this.unread === 0) return;
		this.#generation++;
		this.items = this.items.map((n) => (targets.has(n.id) ? { ...n, read: true } : n));
		this.unread = ids ? Math.max(0, this.unread - newlyRead) : 0;
		try {
			await this.#api.send('POST', '/notifications', ids ? { ids } : {});
		} finally {
			void this.refresh();
		}
	}

	/** Listens on the live channel; returns the stop function (for an $effect's cleanup). */
	start(feed: LiveFeed): () => void {
		const stopMessages = feed.on((message) => {
			if (message.type === 'notification') void this.refresh();
		});
		const stopConnect = feed.onConnect(() => void this.refresh());
		return () => {
			stopMessages();
			stopConnect();
		};
	}
}

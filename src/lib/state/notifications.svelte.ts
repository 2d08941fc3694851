import type { NotificationView } from '$lib/server/notifications';
import type { ApiClient } from '$lib/components/inbox/api';
import { POLL_MS } from './inbox.svelte';

/**
 * The signed-in member's notifications (mentions in notes, assignments) for the app shell's bell.
 * Polls `GET /api/v1/notifications` at the inbox list's cadence while the tab is visible; marking
 * read shows at once and is confirmed by the next poll. One instance per shell, owned by the
 * component that shows it (never a module singleton).
 */
export class NotificationFeed {
	items: NotificationView[] = $state([]);
	unread = $state(0);
	/** False until the first answer. */
	loaded = $state(false);
	/** Set when the last poll failed; the list keeps what it had. */
	failed = $state(false);

	#api: ApiClient;
	#timer: ReturnType<typeof setTimeout> | null = null;
	#polling = false;
	#generation = 0;

	constructor(api: ApiClient) {
		this.#api = api;
	}

	async refresh(): Promise<void> {
		if (this.#polling) return;
		this.#polling = true;
		const generation = this.#generation;
		try {
			const page = await this.#api.get<{ items: NotificationView[]; unread: number }>('/notifications?limit=20');
			// A mark-read sent meanwhile wins over this older answer.
			if (generation !== this.#generation) return;
			this.items = page.items;
			this.unread = page.unread;
			this.loaded = true;
			this.failed = false;
		} catch {
			this.failed = true;
		} finally {
			this.#polling = false;
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

	/** Loads now and then polls; returns the stop function (for an $effect's cleanup). */
	start(): () => void {
		let stopped = false;
		const tick = async () => {
			if (stopped) return;
			if (document.visibilityState === 'visible') await this.refresh();
			if (!stopped) this.#timer = setTimeout(tick, POLL_MS);
		};
		const wake = () => {
			if (document.visibilityState === 'visible') void this.refresh();
		};
		void tick();
		document.addEventListener('visibilitychange', wake);
		window.addEventListener('online', wake);
		return () => {
			stopped = true;
			if (this.#timer) clearTimeout(this.#timer);
			document.removeEventListener('visibilitychange', wake);
			window.removeEventListener('online', wake);
		};
	}
}

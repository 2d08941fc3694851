import type { ConversationSummary } from '$lib/server/conversations';
import type { NotificationView } from '$lib/server/notifications';
import type { AlertSettings } from '$lib/server/alerts';
import type { LiveFeed } from './live.svelte';
import type { Translate } from '$lib/i18n/types';

/**
 * Alerts for a member looking elsewhere: a new message on their conversations or an unassigned
 * one (from the rows the live channel pushes), a mention, an assignment, a reply of theirs that
 * failed or a snooze that ended (from new notifications). Each plays a short sound and, while the tab is not in front, shows a
 * desktop notification (the Notifications API, when the user turned it on in Profile and the
 * browser allowed it) and counts towards the number in the tab title. One per workspace shell.
 */
export interface AlertsOptions {
	me: string;
	/** `/w/<id>`: where a notification's click leads. */
	base: string;
	settings: () => AlertSettings;
	t: Translate;
}

export class Alerts {
	/** Alerts raised while the tab was not in front; cleared when it comes back. */
	missed = $state(0);

	#options: AlertsOptions;
	#rows = new Map<string, { lastMessageAt: string; unreadCount: number }>();
	#since = new Date().toISOString();
	#audio: AudioContext | null = null;

	constructor(options: AlertsOptions) {
		this.#options = options;
	}

	/** Listens on the live channel; returns the stop function (for an $effect's cleanup). */
	start(feed: LiveFeed): () => void {
		const stop = feed.on((message) => {
			if (message.type === 'conversations') this.rows(message.items);
		});
		const visible = () => {
			if (document.visibilityState === 'visible') this.missed = 0;
		};
		document.addEventListener('visibilitychange', visible);
		return () => {
			stop();
			document.removeEventListener('visibilitychange', visible);
			void this.#audio?.close();
		};
	}

	/** Pushed rows: a customer's new message on my conversation or an unassigned one. */
	rows(items: ConversationSummary[]): void {
		const { me, t, base } = this.#options;
		for (const row of items) {
			const before = this.#rows.get(row.id);
			this.#rows.set(row.id, { lastMessageAt: row.lastMessageAt, unreadCount: row.unreadCount });
			const mine = !row.assignee || row.assignee.id === me;
			const moved = before ? row.lastMessageAt > before.lastMessageAt && row.unreadCount > before.unreadCount : row.unreadCount > 0 && row.lastMessageAt > this.#since;
			if (mine && moved) this.raise(t('alerts.newMessage', { name: row.contact.name }), row.lastMessagePreview, `${base}/inbox/${row.id}`);
		}
	}

	/** Notifications read for the first time after the first load. */
	notifications(items: NotificationView[]): void {
		const { t, base } = this.#options;
		for (const n of items) {
			if (n.read) continue;
			const name = n.actor?.name ?? t('notifications.someone');
			const title =
				n.kind === 'mention'
					? t('alerts.mention', { name })
					: n.kind === 'assigned'
						? t('alerts.assigned', { name })
						: n.kind === 'send_failed'
							? t('alerts.sendFailed')
							: n.kind === 'connection_reauthorize'
								? t('notifications.connectionReauthorize')
								: t('alerts.snoozeEnded');
			const href = n.conversationId
				? `${base}/inbox/${n.conversationId}`
				: n.connectionId
					? `${base}/settings/connections#connection-${n.connectionId}`
					: `${base}/inbox`;
			this.raise(title, n.excerpt, href);
		}
	}

	raise(title: string, body: string, href: string): void {
		const settings = this.#options.settings();
		const away = document.visibilityState !== 'visible' || !document.hasFocus();
		if (away) this.missed++;
		if (settings.sound) this.#beep();
		if (settings.desktop && away && 'Notification' in window && Notification.permission === 'granted') {
			const shown = new Notification(title, { body: body.slice(0, 140), tag: href });
			shown.onclick = () => {
				window.focus();
				location.assign(href);
				shown.close();
			};
		}
	}

	#beep(): void {
		try {
			this.#audio ??= new AudioContext();
			const ctx = this.#audio;
			const tone = ctx.createOscillator();
			const gain = ctx.createGain();
			tone.frequency.value = 880;
			gain.gain.setValueAtTime(0.15, ctx.currentTime);
			gain.gain.exponentialRampToValueAtTime(0.001, ctx.currentTime + 0.25);
			tone.connect(gain).connect(ctx.destination);
			tone.start();
			tone.stop(ctx.currentTime + 0.25);
		} catch {
			// No audio here (or not allowed before the first click): the other alerts still show.
		}
	}
}

/** Keeps `(n) ` in front of the page's title, whatever title each page sets. */
export function titleCount(count: () => number): () => void {
	const apply = () => {
		const bare = document.title.replace(/^\(\d+\) /, '');
		const n = count();
		const next = n > 0 ? `(${n}) ${bare}` : bare;
		if (document.title !== next) document.title = next;
	};
	const observer = new MutationObserver(apply);
	observer.observe(document.head, { subtree: true, childList: true, characterData: true });
	apply();
	return () => {
		observer.disconnect();
		document.title = document.title.replace(/^\(\d+\) /, '');
	};
}

import type { Translate } from '$lib/i18n';
import type { WindowState } from '$lib/platforms';

/**
 * The sentence the composer shows before sending, for where a conversation stands in its platform's
 * reply window. The state comes from `replyWindowState` in $lib/platforms, the rule the server
 * applies too (connectors/shared/policy.ts).
 */

const HOUR_MS = 3_600_000;
/** Below this many hours left, the composer says that the window is about to close. */
export const CLOSES_SOON_HOURS = 6;

export interface NoticeFormat {
	t: Translate;
	number: (value: number) => string;
	dateTime: (value: number) => string;
}

/** "7 days" for whole days beyond one, otherwise "24 hours". */
function span(hours: number, f: NoticeFormat): string {
	return hours > 24 && hours % 24 === 0
		? f.t('conversation.window.span.days', { count: f.number(hours / 24) })
		: f.t('conversation.window.span.hours', { count: f.number(hours) });
}

/** The composer's notice, or null when there is nothing to warn about. */
export function windowNotice(state: WindowState, platform: string, now: number, f: NoticeFormat): { text: string; warning: boolean } | null {
	switch (state.kind) {
		case 'none':
			return null;
		case 'no_customer':
			return { text: f.t('conversation.window.noCustomer', { platform }), warning: true };
		case 'open': {
			if (state.closes - now >= CLOSES_SOON_HOURS * HOUR_MS) return null;
			const left = Math.max(1, Math.round((state.closes - now) / HOUR_MS));
			return { text: f.t('conversation.window.closesSoon', { platform, hours: f.number(left) }), warning: false };
		}
		case 'extended':
			return {
				text: f.t('conversation.window.extended', {
					platform,
					hours: f.number(state.hours),
					span: span(state.extendedHours, f),
					until: f.dateTime(state.closes)
				}),
				warning: true
			};
		case 'closed':
			return { text: f.t('conversation.window.closed', { platform, span: span(state.hours, f) }), warning: true };
	}
}

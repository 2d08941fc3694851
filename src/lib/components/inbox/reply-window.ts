import type { Translate } from '$lib/i18n';
import type { ReplyRules } from './types';

/**
 * Where a conversation stands in its platform's reply window, and the sentence the composer shows
 * before sending. Mirrors connectors/shared/policy.ts `replyWindow` (which decides on the server):
 * the normal window, then the tagged one (Meta's HUMAN_AGENT) where the platform has it.
 */

const HOUR_MS = 3_600_000;
/** Below this many hours left, the composer says that the window is about to close. */
export const CLOSES_SOON_HOURS = 6;

export type WindowState =
	| { kind: 'none' }
	| { kind: 'no_customer' }
	| { kind: 'open'; closes: number; hours: number }
	| { kind: 'extended'; closes: number; hours: number; extendedHours: number }
	| { kind: 'closed'; closes: number; hours: number };

type Rules = Pick<ReplyRules, 'replyWindowHours' | 'extendedReplyWindowHours'>;

export function replyWindowState(rules: Rules, lastCustomerMessageAt: string | null, now: number): WindowState {
	const hours = rules.replyWindowHours;
	if (hours === null) return { kind: 'none' };
	if (!lastCustomerMessageAt) return { kind: 'no_customer' };
	const last = Date.parse(lastCustomerMessageAt);
	const closes = last + hours * HOUR_MS;
	if (closes > now) return { kind: 'open', closes, hours };
	const extendedHours = rules.extendedReplyWindowHours;
	if (extendedHours !== null && last + extendedHours * HOUR_MS > now) {
		return { kind: 'extended', closes: last + extendedHours * HOUR_MS, hours, extendedHours };
	}
	const total = extendedHours ?? hours;
	return { kind: 'closed', closes: last + total * HOUR_MS, hours: total };
}

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

import type { Translate } from '$lib/i18n';
import { countText, PLATFORM_FACTS, type Platform, type TextCount } from '$lib/platforms';
import type { ReplyRules } from './types';

/** The reply box's rules for a platform: its platform facts, as the page load hands them to the browser. */
export function replyRulesFor(platform: Platform, orders: boolean): ReplyRules {
	const facts = PLATFORM_FACTS[platform];
	return {
		maxTextLength: facts.maxTextLength,
		maxTextBytes: facts.maxTextBytes ?? null,
		replyWindowHours: facts.replyWindowHours,
		extendedReplyWindowHours: facts.extendedReplyWindowHours ?? null,
		orders
	};
}

/** The draft counted as the server counts it before it queues the reply; `over` disables Send. */
export function draftCount(rules: ReplyRules, draft: string): TextCount {
	return countText(rules, draft);
}

/** "1,200 / 1,000 bytes …" or "12 / 2,000 characters": the binding limit in its unit. */
export function countLabel(count: TextCount, f: { t: Translate; number: (value: number) => string }): string {
	const params = { count: f.number(count.count), max: f.number(count.max) };
	return count.unit === 'bytes' ? f.t('conversation.length.bytes', params) : f.t('conversation.length', params);
}

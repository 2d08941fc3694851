import type { Connector, ReplyWindow } from '../types.ts';

/** The sentence an agent reads when a reply cannot go out, for a platform's reply window. */

const NAMES: Record<string, string> = {
	facebook: 'Messenger',
	instagram: 'Instagram',
	line: 'LINE',
	shopee: 'Shopee',
	lazada: 'Lazada',
	tiktok: 'TikTok Shop'
};

export function platformName(platform: string): string {
	return NAMES[platform] ?? platform;
}

export function explainWindow(connector: Connector<any>, window: Extract<ReplyWindow, { ok: false }>): string {
	const name = platformName(connector.platform);
	if (window.reason === 'no_customer_message') {
		return `${name} lets you reply only after the customer has written to you.`;
	}
	const hours = connector.capabilities.extendedReplyWindowHours ?? connector.capabilities.replyWindowHours ?? 0;
	const span = hours % 24 === 0 ? `${hours / 24} day${hours === 24 ? '' : 's'}` : `${hours} hours`;
	const closed = window.closedAt ? ` It closed at ${window.closedAt.toISOString().slice(0, 16).replace('T', ' ')} UTC.` : '';
	return `${name} allows replies for ${span} after the customer's last message.${closed} The customer has to write again first.`;
}

import { platformName } from '../../src/lib/platforms.ts';
import type { Connector, ReplyWindow } from '../types.ts';

/**
 * The English sentence an API client reads (the `message` of a 422) when a reply cannot go out for a
 * platform's reply window. The inbox words the refusal's code itself, in English or Thai.
 */
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

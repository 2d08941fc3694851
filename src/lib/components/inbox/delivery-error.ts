import type { Translate } from '$lib/i18n';
import { readDeliveryError, type DeliveryError } from '$lib/delivery-errors';

/**
 * The sentence a seller reads under a message that was not delivered, in their language, from the
 * stored code (src/lib/delivery-errors.ts). The technical detail is not part of it: the thread shows
 * that behind a disclosure.
 */

export interface DeliveryErrorFormat {
	t: Translate;
	number: (value: number) => string;
	dateTime: (value: string) => string;
}

/** `reason` as stored (a code object, an older sentence, or nothing); `platform` is the platform's name. */
export function deliveryErrorText(reason: unknown, platform: string, f: DeliveryErrorFormat): string {
	const error: DeliveryError | null = readDeliveryError(reason);
	if (!error) return f.t('conversation.delivery.noReason');
	switch (error.code) {
		case 'disconnected':
			return f.t('conversation.delivery.error.disconnected', { platform });
		case 'window_closed':
			return error.closedAt
				? f.t('conversation.delivery.error.windowClosedAt', { platform, at: f.dateTime(error.closedAt) })
				: f.t('conversation.delivery.error.windowClosed', { platform });
		case 'no_customer_message':
			return f.t('conversation.delivery.error.noCustomerMessage', { platform });
		case 'platform_unreachable':
			return error.attempts
				? f.t('conversation.delivery.error.unreachableTries', { platform, count: f.number(error.attempts) })
				: f.t('conversation.delivery.error.unreachable', { platform });
		case 'unauthorized':
			return f.t('conversation.delivery.error.unauthorized', { platform });
		case 'too_long':
			return f.t('conversation.delivery.error.tooLong', { platform });
		case 'invalid_settings':
			return f.t('conversation.delivery.error.invalidSettings', { platform });
		case 'platform_refused':
			return f.t('conversation.delivery.error.refused', { platform });
		case 'internal':
			return f.t('conversation.delivery.error.internal');
		case 'unknown':
			return f.t('conversation.delivery.noReason');
	}
}

/** The technical detail for the disclosure, or null when there is none to show. */
export function deliveryErrorDetail(reason: unknown): string | null {
	const error = readDeliveryError(reason);
	if (!error) return null;
	const parts = [error.platformCode ? `[${error.platformCode}]` : '', error.detail ?? ''].filter(Boolean);
	return parts.length ? parts.join(' ') : null;
}

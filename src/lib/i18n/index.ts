import { en } from './en.ts';
import { th } from './th.ts';
import { LOCALES, type Catalog, type Locale, type MessageKey, type Translate } from './types.ts';

export { LOCALES, type Catalog, type Locale, type MessageKey, type PlainKey, type Translate } from './types.ts';
export { accountErrorMessage, fieldErrors } from './form-errors.ts';
export { formatDate, formatDateTime, formatNumber, DEFAULT_TIME_ZONE } from './format.ts';

export const catalogs: Readonly<Record<Locale, Catalog>> = { en, th };

/** Each language named in itself, for the language switch (never translated). */
export const LOCALE_NAMES: Readonly<Record<Locale, { short: string; long: string }>> = {
	en: { short: 'EN', long: 'English' },
	th: { short: 'ไทย', long: 'ไทย' }
};

export function isLocale(value: unknown): value is Locale {
	return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

const PARAM = /\{(\w+)\}/g;

/** Fills `{name}` placeholders; a missing parameter stays visible rather than vanishing. */
export function interpolate(message: string, params?: Record<string, string | number>): string {
	if (!params) return message;
	return message.replace(PARAM, (whole, name: string) => (name in params ? String(params[name]) : whole));
}

// Immutable per-locale functions: safe to share between requests.
const translators = new Map<Locale, Translate>();

/** The `t` function of a locale. Unknown keys (only possible from untyped input) come back as the key. */
export function translator(locale: Locale): Translate {
	let t = translators.get(locale);
	if (!t) {
		const catalog = catalogs[locale];
		t = ((key: MessageKey, params?: Record<string, string | number>) =>
			interpolate(catalog[key] ?? en[key] ?? key, params)) as Translate;
		translators.set(locale, t);
	}
	return t;
}

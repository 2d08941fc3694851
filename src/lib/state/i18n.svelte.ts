import { createContext } from 'svelte';
import {
	DEFAULT_TIME_ZONE,
	formatDate,
	formatDateTime,
	formatNumber,
	translator,
	type Locale,
	type Translate
} from '$lib/i18n';

/**
 * The language and time zone of what is on screen, with `t` and the formatters bound to them.
 * Created by the root layout from the server's `locale` (and by the workspace layout again with
 * the workspace's time zone) and handed down through context: one instance per render, never a
 * module singleton, so two requests on the server never share a language.
 */
export class I18n {
	#locale: () => Locale;
	#timeZone: () => string;

	/** @param timeZone the workspace's IANA zone. @default 'Asia/Bangkok' */
	constructor(locale: () => Locale, timeZone: () => string | undefined = () => undefined) {
		this.#locale = locale;
		this.#timeZone = () => timeZone() ?? DEFAULT_TIME_ZONE;
	}

	readonly locale: Locale = $derived.by(() => this.#locale());
	readonly timeZone: string = $derived.by(() => this.#timeZone());
	readonly #t: Translate = $derived.by(() => translator(this.locale));

	/** Translates a catalog key; parameters are type-checked against the English message. */
	t: Translate = (key, ...args) => this.#t(key, ...args);

	date = (value: Date | string | number): string => formatDate(value, this.locale, this.timeZone);
	dateTime = (value: Date | string | number): string => formatDateTime(value, this.locale, this.timeZone);
	number = (value: number, options?: Intl.NumberFormatOptions): string => formatNumber(value, this.locale, options);
}

const [getI18n, setI18n] = createContext<I18n>();

/** The I18n of the nearest layout; call during component initialisation. */
export const useI18n = getI18n;
export { setI18n };

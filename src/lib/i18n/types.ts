import type { en } from './en.ts';

export const LOCALES = ['en', 'th'] as const;
export type Locale = (typeof LOCALES)[number];

export type MessageKey = keyof typeof en;

/** Every catalog has exactly the English keys (th.ts is checked against this). */
export type Catalog = { readonly [K in MessageKey]: string };

type ParamNames<S extends string> = S extends `${string}{${infer Name}}${infer Rest}` ? Name | ParamNames<Rest> : never;

/** The `{param}` names an English message uses, read from its text at compile time. */
export type MessageParams<K extends MessageKey> = ParamNames<(typeof en)[K]>;

/** Keys that need no parameters: what a form action may return as its `message`. */
export type PlainKey = { [K in MessageKey]: [MessageParams<K>] extends [never] ? K : never }[MessageKey];

export type TranslateArgs<K extends MessageKey> = [MessageParams<K>] extends [never] ? [] : [params: Record<MessageParams<K>, string | number>];

/** `t('invite.intro', { workspace, role })`: parameters are required exactly when the message has some. */
export type Translate = <K extends MessageKey>(key: K, ...args: TranslateArgs<K>) => string;

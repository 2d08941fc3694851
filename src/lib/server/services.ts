import type { Pool } from './db.ts';
import type { Config } from './env.ts';
import type { KeyRing } from './crypto.ts';
import type { Ports } from './ports.ts';
import type { Platforms } from './platforms.ts';
import type { Mailer } from './mail/mailer.ts';

/**
 * What server/ builds at start-up and hands to the SvelteKit routes. The routes are bundled by
 * Vite into their own copy of src/lib, so this is looked up on globalThis under a registered
 * symbol rather than held in a module variable: both copies see the same object.
 */
export interface Services extends Ports {
	config: Config;
	db: Pool;
	keyRing: KeyRing;
	/** 'postgres' for a real server, 'embedded' for PGlite. */
	databaseKind: 'postgres' | 'embedded';
	/** Connectors and the webhook pipeline, as the routes see them (connectors/pipeline). */
	platforms: Platforms;
	/** Where account mail goes: SMTP when SMTP_URL is set, else the log (src/lib/server/mail). */
	mailer: Mailer;
}

const KEY = Symbol.for('chatmai.services');
type Holder = { [KEY]?: Services };

export function provideServices(services: Services): void {
	(globalThis as Holder)[KEY] = services;
}

export function services(): Services {
	const s = (globalThis as Holder)[KEY];
	if (!s) throw new Error('ChatMai services are not started: run the app through server/index.ts (npm start)');
	return s;
}

/** The public origin links in mail start with: ORIGIN when set, else the request's own. */
export function mailContext(requestOrigin: string): { mailer: Mailer; origin: string } {
	const { mailer, config } = services();
	return { mailer, origin: config.origin ?? requestOrigin };
}

export function clearServices(): void {
	delete (globalThis as Holder)[KEY];
}

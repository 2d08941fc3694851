import type { AccessChange, AccessChanges } from './ports.ts';
import { errorMessage, logger } from './log.ts';

/**
 * Where the services that take access away (sign-out, token revocation, role changes, removals,
 * deletions) announce it. server/ provides the collab server's `AccessChanges` at start-up; in a
 * process without one (a script, a unit test) an announcement reaches nobody, since nothing there
 * holds an open connection.
 *
 * Kept on globalThis like the services: the routes are bundled with their own copy of src/lib.
 */

const KEY = Symbol.for('chatmai.accessChanges');
type Holder = { [KEY]?: AccessChanges };
const holder = globalThis as Holder;
const log = logger('auth');

export function provideAccessChanges(port: AccessChanges): void {
	holder[KEY] = port;
}

/** Forgets `port` (only if it is still the one provided). */
export function clearAccessChanges(port: AccessChanges): void {
	if (holder[KEY] === port) delete holder[KEY];
}

/** Announces a committed access change; call it after the transaction that made it. */
export function accessChanged(change: AccessChange): void {
	try {
		holder[KEY]?.accessChanged(change);
	} catch (error) {
		log.error('access_change_not_announced', { type: change.type, error: errorMessage(error) });
	}
}

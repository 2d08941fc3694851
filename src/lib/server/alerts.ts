import type { Queryable } from './db.ts';

/**
 * A member's alert settings (Profile → Alerts): a sound and a desktop notification for new
 * messages on their conversations and unassigned ones, mentions and assignments. Per user, the
 * same in every workspace and browser; the browser still asks for desktop permission itself.
 */
export interface AlertSettings {
	/** @default true */
	sound: boolean;
	/** @default false: the browser's permission is asked when the user turns it on. */
	desktop: boolean;
}

export async function getAlertSettings(db: Queryable, userId: string): Promise<AlertSettings> {
	const { rows } = await db.query<{ alert_sound: boolean; alert_desktop: boolean }>('select alert_sound, alert_desktop from users where id = $1', [userId]);
	return { sound: rows[0]?.alert_sound ?? true, desktop: rows[0]?.alert_desktop ?? false };
}

export async function setAlertSettings(db: Queryable, userId: string, settings: AlertSettings): Promise<void> {
	await db.query('update users set alert_sound = $2, alert_desktop = $3 where id = $1', [userId, settings.sound, settings.desktop]);
}

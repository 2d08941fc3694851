import webpush from 'web-push';
import { z } from 'zod';
import type { Queryable } from './db.ts';
import { errorMessage, logger } from './log.ts';
import { isLocale, translator } from '../i18n/index.ts';

/**
 * Web Push (RFC 8030, VAPID RFC 8292) through the `web-push` package: a member's browsers that
 * subscribed (Profile → Alerts, through the service worker) are alerted of their new
 * notifications while ChatMai is closed. The VAPID keys are generated into the data folder by
 * default (server/push-keys.ts).
 */

const log = logger('push');

export interface VapidKeys {
	publicKey: string;
	privateKey: string;
	/** `mailto:` or `https:` contact the push services may use. */
	subject: string;
}

export const pushSubscription = z.object({
	endpoint: z.string().url().max(2000).refine((u) => u.startsWith('https://'), 'must be https'),
	keys: z.object({ p256dh: z.string().min(1).max(200), auth: z.string().min(1).max(100) })
});
export type PushSubscriptionInput = z.infer<typeof pushSubscription>;

export async function addPushSubscription(db: Queryable, userId: string, input: PushSubscriptionInput): Promise<void> {
	await db.query(
		`insert into push_subscriptions (user_id, endpoint, p256dh, auth) values ($1, $2, $3, $4)
		 on conflict (endpoint) do update set user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth`,
		[userId, input.endpoint, input.keys.p256dh, input.keys.auth]
	);
}

export async function removePushSubscription(db: Queryable, userId: string, endpoint: string): Promise<void> {
	await db.query('delete from push_subscriptions where user_id = $1 and endpoint = $2', [userId, endpoint]);
}

/** Sends a user's newest unread notification of a workspace to each of their subscribed browsers. */
export async function pushLatestNotification(db: Queryable, keys: VapidKeys, workspaceId: string, userId: string): Promise<number> {
	const [subscriptions, latest] = await Promise.all([
		db.query<{ endpoint: string; p256dh: string; auth: string }>('select endpoint, p256dh, auth from push_subscriptions where user_id = $1', [userId]),
		db.query(
			`select n.kind, n.conversation_id, n.connection_id, n.excerpt, u.name as actor_name, me.locale
			   from notifications n join users me on me.id = n.user_id left join users u on u.id = n.actor_id
			  where n.workspace_id = $1 and n.user_id = $2 and n.read_at is null
			  order by n.created_at desc limit 1`,
			[workspaceId, userId]
		)
	]);
	const n = latest.rows[0];
	if (!n || subscriptions.rows.length === 0) return 0;
	const t = translator(isLocale(n.locale) ? n.locale : 'en');
	const name = n.actor_name ?? t('notifications.someone');
	const title =
		n.kind === 'mention'
			? t('alerts.mention', { name })
			: n.kind === 'assigned'
				? t('alerts.assigned', { name })
				: n.kind === 'send_failed'
					? t('alerts.sendFailed')
					: n.kind === 'connection_reauthorize'
						? t('notifications.connectionReauthorize')
						: t('alerts.snoozeEnded');
	const url = n.conversation_id
		? `/w/${workspaceId}/inbox/${n.conversation_id}`
		: n.connection_id
			? `/w/${workspaceId}/settings/connections#connection-${n.connection_id}`
			: `/w/${workspaceId}/inbox`;
	const payload = JSON.stringify({ title, body: (n.excerpt ?? '').slice(0, 140), url });
	let sent = 0;
	await Promise.all(
		subscriptions.rows.map(async (s) => {
			try {
				await webpush.sendNotification({ endpoint: s.endpoint, keys: { p256dh: s.p256dh, auth: s.auth } }, payload, {
					vapidDetails: { subject: keys.subject, publicKey: keys.publicKey, privateKey: keys.privateKey },
					TTL: 3600
				});
				sent++;
			} catch (error) {
				const status = (error as { statusCode?: number }).statusCode;
				if (status === 404 || status === 410) await db.query('delete from push_subscriptions where endpoint = $1', [s.endpoint]);
				else log.warn('push_failed', { user_id: userId, status, error: errorMessage(error) });
			}
		})
	);
	return sent;
}

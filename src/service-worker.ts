/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />

/**
 * ChatMai's service worker: only Web Push (an alert while the app is closed, src/lib/server/push.ts)
 * and opening the conversation when it is clicked. It caches nothing and answers no request:
 * the app is live or it is not.
 */
const sw = self as unknown as ServiceWorkerGlobalScope;

sw.addEventListener('install', () => void sw.skipWaiting());
sw.addEventListener('activate', (event) => event.waitUntil(sw.clients.claim()));

sw.addEventListener('push', (event) => {
	let data: { title?: string; body?: string; url?: string } = {};
	try {
		data = event.data?.json() ?? {};
	} catch {
		data = { title: event.data?.text() };
	}
	event.waitUntil(
		sw.registration.showNotification(data.title ?? 'ChatMai', { body: data.body ?? '', icon: '/icon.svg', data: { url: data.url ?? '/' }, tag: data.url })
	);
});

sw.addEventListener('notificationclick', (event) => {
	event.notification.close();
	const url = (event.notification.data as { url?: string } | null)?.url ?? '/';
	event.waitUntil(
		(async () => {
			const windows = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
			const open = windows.find((w) => new URL(w.url).origin === sw.location.origin);
			if (open) {
				await open.focus();
				await open.navigate(url);
			} else await sw.clients.openWindow(url);
		})()
	);
});

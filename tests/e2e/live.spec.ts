import { expect, test, type Page } from '@playwright/test';
import { AGENT, OWNER, SUPERVISOR, connectDemoShop, logIn, type DemoShop } from './demo.ts';

/**
 * The live channel in the browser (issue 13, items 1 and 4): the inbox list, the notifications bell
 * (and the count in the tab title) and the dashboard's figures change without a reload and without
 * one request to the changes feed while the channel is connected: everything comes pushed over
 * `/collab`. Requests are counted from the moment the channel is up and its one catch-up is done.
 */

test.describe.configure({ mode: 'serial' });

let shop: DemoShop;
test.beforeAll(async () => {
	shop = await connectDemoShop('facebook', 'Live Page');
});
test.afterAll(() => shop?.close());

/** Counts requests to the changes feed and full page loads from now on. */
function watch(page: Page): { feedRequests: () => number; reloads: () => number } {
	let feed = 0;
	let loads = 0;
	page.on('request', (request) => {
		if (new URL(request.url()).pathname.endsWith('/conversations/changes')) feed++;
	});
	page.on('framenavigated', (frame) => {
		if (frame === page.mainFrame()) loads++;
	});
	return { feedRequests: () => feed, reloads: () => loads };
}

async function connected(page: Page): Promise<void> {
	await expect(page.locator('[data-live="connected"]')).toHaveCount(1);
	// The one catch-up on connecting is over before counting starts.
	await page.waitForLoadState('networkidle');
}

async function figure(page: Page, testid: string): Promise<number> {
	const text = await page.getByTestId(testid).innerText();
	return Number(/\d[\d,]*/.exec(text)?.[0].replaceAll(',', '') ?? NaN);
}

test('a new customer message appears in the list without a reload or a request to the changes feed', async ({ browser }) => {
	const { context, page } = await logIn(browser, OWNER);
	await page.goto(`/w/${shop.workspaceId}/inbox`);
	await connected(page);
	const seen = watch(page);

	const text = `live: is the green kettle back in stock? ${Date.now()}`;
	await shop.customerWrites(text);
	await expect(page.getByTestId('conversation-list')).toContainText(text);
	const second = `live: and the blue one? ${Date.now()}`;
	await shop.customerWrites(second);
	await expect(page.getByTestId('conversation-list')).toContainText(second);

	expect(seen.feedRequests()).toBe(0);
	expect(seen.reloads()).toBe(0);
	await context.close();
});

test('a reply the platform refuses is marked on its row, notified, and found with the failed filter', async ({ browser }) => {
	const text = `live: can you deliver today? ${Date.now()}`;
	const conversationId = await shop.customerWrites(text);
	const { context, page } = await logIn(browser, OWNER);
	await page.goto(`/w/${shop.workspaceId}/inbox`);
	await connected(page);
	const seen = watch(page);
	const row = page.getByTestId('conversation-row').filter({ hasText: text });
	await expect(row).toBeVisible();
	await expect(row.getByTestId('row-failed')).toHaveCount(0);

	shop.fake.failNext(1, 400);
	const reply = await shop.rest('POST', `/api/v1/conversations/${conversationId}/replies`, { body: 'Yes, before 6 pm.' }, { 'idempotency-key': `live-${Date.now()}` });
	expect(reply.status, JSON.stringify(reply.json)).toBe(202);
	const failedRow = page.getByTestId('conversation-row').filter({ hasText: 'Yes, before 6 pm.' });
	await expect(failedRow.getByTestId('row-failed')).toBeVisible();
	await page.getByTestId('notifications-toggle').click();
	await expect(page.getByTestId('notification').first()).toContainText('Your reply could not be sent');
	await page.getByTestId('notifications-toggle').click();
	expect(seen.feedRequests()).toBe(0);

	await page.getByTestId('filter-failed').click();
	await expect(page.getByTestId('conversation-row').filter({ hasText: 'Yes, before 6 pm.' })).toHaveCount(1);
	await expect(page.getByTestId('conversation-row').filter({ hasNot: page.getByTestId('row-failed') })).toHaveCount(0);
	expect(seen.reloads()).toBe(0);
	await context.close();
});

test('a mention rings the bell and shows in the tab title without a request to the changes feed', async ({ browser }) => {
	const conversationId = await shop.customerWrites(`live: a question for Somchai ${Date.now()}`);
	const members = await shop.rest('GET', '/api/v1/members');
	const somchai = members.json.members.find((m: { email: string }) => m.email === AGENT);
	const { context, page } = await logIn(browser, AGENT);
	await page.goto(`/w/${shop.workspaceId}/inbox`);
	await connected(page);
	const seen = watch(page);
	const before = (await page.getByTestId('notifications-count').count()) ? await figure(page, 'notifications-count') : 0;

	const note = await shop.rest('POST', `/api/v1/conversations/${conversationId}/notes`, { body: '@Somchai can you call this customer?', mentions: [somchai.userId] });
	expect(note.status, JSON.stringify(note.json)).toBe(201);
	await expect(page.getByTestId('notifications-count')).toHaveText(String(before + 1));
	// The title counts unread notifications, plus alerts raised while the tab was not in front.
	await expect.poll(async () => Number(/^\((\d+)\) /.exec(await page.title())?.[1] ?? 0)).toBeGreaterThanOrEqual(before + 1);

	expect(seen.feedRequests()).toBe(0);
	expect(seen.reloads()).toBe(0);
	await context.close();
});

test('the dashboard counts a new customer message and the floor its wait, without a reload', async ({ browser }) => {
	const { context, page } = await logIn(browser, SUPERVISOR);
	await page.goto(`/w/${shop.workspaceId}/dashboard?period=today`);
	await connected(page);
	const seen = watch(page);
	const before = await figure(page, 'card-customer-messages');
	const waiting = await figure(page, 'floor-waiting');
	// The supervisor has the app open: the floor shows them online.
	await expect(page.getByTestId('floor-member').filter({ hasText: 'Malee' })).toHaveAttribute('data-online', 'yes');

	await shop.customerWrites(`live: dashboard, do you deliver on Sunday? ${Date.now()}`);
	await expect.poll(() => figure(page, 'card-customer-messages')).toBe(before + 1);
	await expect.poll(() => figure(page, 'floor-waiting')).toBe(waiting + 1);

	expect(seen.feedRequests()).toBe(0);
	expect(seen.reloads()).toBe(0);
	await context.close();
});

test('with desktop alerts on, a new unassigned conversation raises a desktop notification and the title count while the tab is away', async ({ browser }) => {
	const { context, page } = await logIn(browser, AGENT);
	// The browser's Notifications API, recorded; the tab behaves as one the agent is not looking at.
	await context.addInitScript(() => {
		const shown: { title: string; body: string }[] = [];
		(window as unknown as { __shown: typeof shown }).__shown = shown;
		class RecordedNotification {
			static permission = 'granted';
			static requestPermission = async () => 'granted';
			onclick: (() => void) | null = null;
			constructor(title: string, options: { body?: string } = {}) {
				shown.push({ title, body: options.body ?? '' });
			}
			close() {}
		}
		Object.defineProperty(window, 'Notification', { value: RecordedNotification });
		document.hasFocus = () => false;
	});
	await page.goto(`/w/${shop.workspaceId}/settings/profile`);
	await page.locator('html[data-hydrated]').waitFor();
	await page.getByTestId('alerts-desktop').check();
	await page.getByTestId('alerts-form').getByRole('button', { name: 'Save alerts' }).click();
	await expect(page.getByTestId('alerts-saved')).toBeVisible();

	await page.goto(`/w/${shop.workspaceId}/inbox`);
	await connected(page);
	const text = `live: anyone there? ${Date.now()}`;
	await shop.customerWrites(text);
	await expect
		.poll(() => page.evaluate(() => (window as unknown as { __shown: { title: string; body: string }[] }).__shown))
		.toContainEqual(expect.objectContaining({ body: text }));
	const shown = await page.evaluate(() => (window as unknown as { __shown: { title: string }[] }).__shown);
	expect(shown.find((n) => n.title.startsWith('New message from'))).toBeTruthy();
	await expect.poll(async () => /^\(\d+\) /.test(await page.title())).toBe(true);
	await context.close();
});

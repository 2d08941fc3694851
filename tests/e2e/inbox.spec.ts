import { expect, test, type Page } from '@playwright/test';
import type { FakePlatform } from '../fakes/platforms.ts';
import { AGENT, OWNER, SUPERVISOR, connectDemoShop, draftOf, logIn, type DemoShop } from './demo.ts';
import { dateToZonedTime, zonedDayAt } from '../../src/lib/i18n/format.ts';

/** Screenshots go to test-results/; `UPDATE_SCREENSHOTS=1` refreshes the README's in docs/screenshots/. */
function shot(name: string): string {
	return process.env.UPDATE_SCREENSHOTS === '1' ? `docs/screenshots/${name}` : `test-results/${name}`;
}

/**
 * The agent's inbox in the browser (issue 5), against the real server, its collab WebSocket and a
 * fake Messenger that receives the replies. Each test makes conversations of its own through
 * signed webhooks, so the order of the tests does not matter.
 */

test.describe.configure({ mode: 'serial' });

let shop: DemoShop;
let fake: FakePlatform;
let workspaceId: string;
let connection: DemoShop['connection'];
const customerWrites: DemoShop['customerWrites'] = (...args) => shop.customerWrites(...args);

async function openConversation(page: Page, conversationId: string) {
	await page.goto(`/w/${workspaceId}/inbox/${conversationId}`);
	await expect(page.getByTestId('reply-editor')).toHaveAttribute('data-ready', 'true');
	await expect(page.getByTestId('thread')).toHaveAttribute('aria-busy', 'false');
}

const editor = (page: Page) => page.getByTestId('reply-editor').locator('.reply-input');

test.beforeAll(async () => {
	shop = await connectDemoShop('facebook', 'Demo Shop Page');
	({ fake, workspaceId, connection } = shop);
});

// The demo workspace is shared by every e2e file: leave no connection behind.
test.afterAll(() => shop?.close());

test('two agents on one conversation see each other, co-edit the draft, assign, note and send', async ({ browser }) => {
	const conversationId = await customerWrites('Is the blue dress still in stock? size M please');
	const a = await logIn(browser, OWNER);
	const b = await logIn(browser, AGENT);
	await openConversation(a.page, conversationId);
	await openConversation(b.page, conversationId);

	// Presence: each sees the other among the viewers.
	await expect(a.page.getByTestId('viewer')).toHaveCount(1);
	await expect(a.page.getByTestId('viewers')).toContainText('S');
	await expect(b.page.getByTestId('viewers').getByRole('img', { name: /Demo Owner/ })).toBeVisible();

	// Both type into the shared draft at once and end with the same text.
	await editor(a.page).click();
	await editor(b.page).click();
	await Promise.all([editor(a.page).pressSequentially('Yes we have it', { delay: 15 }), editor(b.page).pressSequentially(' in size M', { delay: 15 })]);
	await expect(b.page.getByTestId('typing')).toContainText('Demo Owner');
	await expect
		.poll(async () => {
			const [x, y] = await Promise.all([draftOf(a.page), draftOf(b.page)]);
			return x === y && x.includes('Yes we have it') && x.includes('in size M');
		}, { timeout: 10_000 })
		.toBe(true);
	const merged = await draftOf(a.page);
	expect(merged).toContain('Yes we have it');
	expect(merged).toContain('in size M');
	await expect.poll(async () => await draftOf(b.page)).toBe(merged);

	// One assigns and notes; the other sees both live.
	const somchai = await b.page.evaluate(() => document.querySelector<HTMLSelectElement>('[data-testid="assignee-select"]')?.options);
	void somchai;
	await a.page.getByTestId('assignee-select').selectOption({ label: 'Somchai' });
	await expect(b.page.getByTestId('assignee-select').locator('option:checked')).toHaveText('Somchai');
	await a.page.getByTestId('tab-note').click();
	await a.page.getByTestId('note-input').fill('@Somchai please confirm the stock before sending');
	await a.page.getByTestId('note-submit').click();
	await expect(b.page.getByTestId('note')).toContainText('please confirm the stock');
	await expect(b.page.getByTestId('note').locator('mark')).toHaveText('@Somchai');
	await a.page.getByTestId('tab-reply').click();
	// The list shows the assignment too.
	await expect(b.page.locator(`[data-conversation-id="${conversationId}"] [data-testid="row-assignee"]`)).toContainText('Somchai');

	await a.page.screenshot({ path: shot('conversation.png') });

	// One sends: the draft clears for both and the platform receives the reply.
	const before = fake.requests.length;
	await editor(a.page).click();
	await a.page.keyboard.press('Control+Enter');
	await expect.poll(async () => await draftOf(a.page)).toBe('');
	await expect.poll(async () => await draftOf(b.page)).toBe('');
	await expect.poll(() => fake.requests.slice(before).find((r) => r.method === 'POST' && r.path.endsWith('/messages'))?.json, { timeout: 15_000 }).toMatchObject({
		message: { text: merged }
	});
	await expect(b.page.getByTestId('message').filter({ hasText: merged }).getByTestId('delivery')).toHaveText('Sent', { timeout: 15_000 });
	await a.context.close();
	await b.context.close();
});

test('a signed webhook makes a new conversation appear in an open inbox without reload', async ({ browser }) => {
	const { context, page } = await logIn(browser, AGENT);
	await page.goto(`/w/${workspaceId}/inbox`);
	await expect(page.getByTestId('inbox-live')).toContainText('Live');
	const text = `Hello, do you ship to Chiang Mai? ${Date.now()}`;
	await customerWrites(text);
	await expect(page.getByTestId('conversation-row').filter({ hasText: text })).toBeVisible({ timeout: 15_000 });
	await page.screenshot({ path: shot('inbox.png') });
	await context.close();
});

test('a supervisor sees the live draft but cannot edit it', async ({ browser }) => {
	const conversationId = await customerWrites('Can I change my delivery address?');
	const agent = await logIn(browser, AGENT);
	const supervisor = await logIn(browser, SUPERVISOR);
	await openConversation(agent.page, conversationId);
	await openConversation(supervisor.page, conversationId);
	await editor(agent.page).click();
	await editor(agent.page).pressSequentially('Sure, what is the new address?');
	await expect.poll(async () => await draftOf(supervisor.page)).toBe('Sure, what is the new address?');
	await expect(editor(supervisor.page)).toHaveAttribute('contenteditable', 'false');
	await expect(supervisor.page.getByTestId('read-only-banner')).toBeVisible();
	await expect(supervisor.page.getByTestId('assignee-select')).toBeDisabled();
	await expect(supervisor.page.getByTestId('status-select')).toBeDisabled();
	await expect(supervisor.page.getByTestId('send')).toBeDisabled();
	await editor(supervisor.page).click({ force: true });
	await supervisor.page.keyboard.type('hacked');
	await agent.page.waitForTimeout(500);
	expect(await draftOf(agent.page)).toBe('Sure, what is the new address?');
	await agent.context.close();
	await supervisor.context.close();
});

test('an XSS payload in a customer message renders as text and runs nothing', async ({ browser }) => {
	const payload = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script> xss-${Date.now()}`;
	const conversationId = await customerWrites(payload);
	const { context, page } = await logIn(browser, AGENT);
	const dialogs: string[] = [];
	page.on('dialog', (d) => {
		dialogs.push(d.message());
		void d.dismiss();
	});
	await openConversation(page, conversationId);
	await expect(page.getByTestId('message-text').filter({ hasText: 'onerror' })).toHaveText(payload);
	expect(await page.evaluate(() => (window as unknown as { __xss?: number }).__xss)).toBeUndefined();
	await expect(page.getByTestId('thread').locator('img[src="x"]')).toHaveCount(0);
	await expect(page.getByTestId('thread').locator('script')).toHaveCount(0);
	expect(dialogs).toEqual([]);
	await context.close();
});

test('going offline mid-typing and back loses nothing', async ({ browser }) => {
	const conversationId = await customerWrites('Do you have this in red?');
	const a = await logIn(browser, AGENT);
	const b = await logIn(browser, OWNER);
	await openConversation(a.page, conversationId);
	await openConversation(b.page, conversationId);
	await editor(a.page).click();
	await editor(a.page).pressSequentially('We have red ');
	await expect.poll(async () => await draftOf(b.page)).toBe('We have red');
	await a.context.setOffline(true);
	await a.page.evaluate(() => window.dispatchEvent(new Event('offline')));
	await expect(a.page.getByTestId('offline-banner')).toBeVisible();
	await editor(a.page).pressSequentially('and in blue, typed offline');
	await expect(editor(a.page)).toContainText('typed offline');
	await a.context.setOffline(false);
	await a.page.evaluate(() => window.dispatchEvent(new Event('online')));
	await expect.poll(async () => await draftOf(b.page), { timeout: 20_000 }).toBe('We have red and in blue, typed offline');
	await expect(a.page.getByTestId('offline-banner')).toHaveCount(0, { timeout: 20_000 });
	await a.context.close();
	await b.context.close();
});

test('the Thai inbox renders and the language switch persists', async ({ browser }) => {
	const conversationId = await customerWrites('สวัสดีค่ะ สินค้านี้ยังมีอยู่ไหมคะ');
	const { context, page } = await logIn(browser, AGENT);
	await openConversation(page, conversationId);
	await page.getByTestId('language-th').click();
	await expect(page.locator('html')).toHaveAttribute('lang', 'th');
	await expect(page.getByTestId('send')).toHaveText('ส่ง');
	await expect(page.getByTestId('filter-mine')).toHaveText('ของฉัน');
	await page.screenshot({ path: 'test-results/inbox-thai.png' });
	await page.reload();
	await expect(page.locator('html')).toHaveAttribute('lang', 'th');
	await expect(page.getByTestId('tab-note')).toHaveText('โน้ตภายใน');
	// Back to English, for whoever logs in as this agent next.
	await page.getByTestId('language-en').click();
	await expect(page.locator('html')).toHaveAttribute('lang', 'en');
	await context.close();
});

test('a reply the platform refused says why in the seller’s words, and is sent again with Retry, as the same message', async ({ browser }) => {
	const conversationId = await customerWrites('Can you hold the red bag for me until Friday?');
	const { context, page } = await logIn(browser, AGENT);
	await openConversation(page, conversationId);
	const text = `Of course, held until Friday ${Date.now()}`;
	fake.failNext(1, 400);
	await editor(page).click();
	await editor(page).pressSequentially(text);
	await page.getByTestId('send').click();
	const bubble = page.getByTestId('message').filter({ hasText: text });
	await expect(bubble.getByTestId('delivery')).toHaveText('Not sent', { timeout: 15_000 });
	// Worded for the seller from the stored code; the platform's own words only behind the disclosure.
	await expect(bubble.getByRole('alert')).toContainText('Not sent: Messenger refused this message.');
	await expect(bubble.getByRole('alert')).not.toContainText('outside of allowed window');
	const detail = bubble.getByTestId('delivery-detail');
	await expect(detail.getByText('outside of allowed window')).toBeHidden();
	await detail.locator('summary').click();
	await expect(detail.getByText('outside of allowed window')).toBeVisible();
	const sendsTo = () => fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/messages') && JSON.stringify(r.json ?? '').includes(text));
	const refused = sendsTo().length;
	await bubble.getByRole('button', { name: 'Retry' }).click();
	await expect(bubble.getByTestId('delivery')).toHaveText('Sent', { timeout: 15_000 });
	expect(sendsTo().length).toBe(refused + 1);
	// Still one bubble: the retry sent the failed message, it did not post a copy.
	await expect(page.getByTestId('message').filter({ hasText: text })).toHaveCount(1);
	await context.close();
});

test('the bell shows a new assignment with its count, links to the conversation and marks it read', async ({ browser }) => {
	const conversationId = await customerWrites('Please call me back about my order');
	const agent = await logIn(browser, AGENT);
	await agent.page.goto(`/w/${workspaceId}/inbox`);
	const toggle = agent.page.getByTestId('notifications-toggle');
	// Start from nothing unread (earlier tests mention Somchai).
	await toggle.click();
	await expect(toggle).toHaveAttribute('aria-expanded', 'true');
	const markAll = agent.page.getByTestId('notifications-mark-all');
	if (await markAll.isVisible()) await markAll.click();
	await expect(agent.page.getByTestId('notifications-count')).toHaveCount(0);
	await agent.page.keyboard.press('Escape');
	await expect(toggle).toHaveAttribute('aria-expanded', 'false');

	const owner = await logIn(browser, OWNER);
	await openConversation(owner.page, conversationId);
	await owner.page.getByTestId('assignee-select').selectOption({ label: 'Somchai' });

	await expect(agent.page.getByTestId('notifications-count')).toHaveText('1', { timeout: 15_000 });
	await expect(toggle).toHaveAccessibleName('Notifications, 1 unread');
	await toggle.click();
	const item = agent.page.getByTestId('notification').filter({ hasText: 'Demo Owner assigned a conversation to you' }).first();
	await expect(item).toBeVisible();
	await item.getByRole('link').click();
	await expect(agent.page).toHaveURL(new RegExp(`/inbox/${conversationId}$`));
	await expect(agent.page.getByTestId('notifications-count')).toHaveCount(0);
	await agent.context.close();
	await owner.context.close();
});

test('the keyboard drives the inbox: / searches, j and k move, enter writes, a assigns to me, e resolves', async ({ browser }) => {
	const word = `kbd${Date.now().toString(36)}`;
	const older = await customerWrites(`${word} is the blue one in size M in stock?`);
	const newer = await customerWrites(`${word} can I pay on delivery?`);
	const { context, page } = await logIn(browser, AGENT);
	try {
		await page.goto(`/w/${workspaceId}/inbox`);
		await page.locator('html[data-hydrated]').waitFor();
		await page.keyboard.press('/');
		await expect(page.getByTestId('inbox-search')).toBeFocused();
		await page.keyboard.type(word);
		const rows = page.locator('[data-conversation-id]');
		await expect(rows).toHaveCount(2);
		await page.keyboard.press('Escape');

		// Newest first: j takes the first row, j the next, k back again.
		await page.keyboard.press('j');
		await expect(page).toHaveURL(new RegExp(`/inbox/${newer}$`));
		await page.keyboard.press('j');
		await expect(page).toHaveURL(new RegExp(`/inbox/${older}$`));
		await page.keyboard.press('k');
		await expect(page).toHaveURL(new RegExp(`/inbox/${newer}$`));
		await expect(page.getByTestId('reply-editor')).toHaveAttribute('data-ready', 'true');

		await page.keyboard.press('Enter');
		await expect(editor(page)).toBeFocused();
		await page.keyboard.type('Yes, cash on delivery is fine');
		expect(await draftOf(page)).toBe('Yes, cash on delivery is fine');
		await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());

		await page.keyboard.press('a');
		await expect(page.getByTestId('assignee-select').locator('option:checked')).toHaveText('Somchai');
		await page.keyboard.press('e');
		await expect(page.getByTestId('status-select')).toHaveValue('resolved');

		// The changes are the conversation's, not only this page's: PostgreSQL has them.
		await expect
			.poll(async () => {
				const { json } = await shop.rest('GET', `/api/v1/conversations?q=${word}&status=resolved`);
				return json.items.map((c: { id: string; assignee: { name: string } | null }) => `${c.id}:${c.assignee?.name}`);
			})
			.toEqual([`${newer}:Somchai`]);
	} finally {
		await context.close();
	}
});

test('an agent snoozes a conversation until a time of their choosing, read on the shop’s clock', async ({ browser }) => {
	const word = `snz${Date.now().toString(36)}`;
	const conversationId = await customerWrites(`${word} I will pay after payday, please remind me`);
	const { context, page } = await logIn(browser, AGENT);
	try {
		await openConversation(page, conversationId);
		await page.getByTestId('status-select').selectOption('snoozed');
		const until = page.getByTestId('snooze-until');
		await expect(page.getByText('Times are Asia/Bangkok time.')).toBeVisible();

		// A time already past is refused with a reason, and nothing changes.
		await until.fill(dateToZonedTime(new Date(Date.now() - 3_600_000), 'Asia/Bangkok'));
		await page.getByRole('button', { name: 'Snooze', exact: true }).click();
		await expect(page.getByRole('alert').filter({ hasText: 'Choose a time in the future.' })).toBeVisible();

		// The day after tomorrow at 14:30 in Bangkok, whatever the browser's own zone.
		const at = new Date(zonedDayAt(new Date(), 'Asia/Bangkok', 2, 14).getTime() + 30 * 60_000);
		await until.fill(dateToZonedTime(at, 'Asia/Bangkok'));
		await page.getByRole('button', { name: 'Snooze', exact: true }).click();
		await expect(page.getByTestId('status-select')).toHaveValue('snoozed');
		await expect(page.getByText(/^until /)).toContainText('14:30');

		await expect
			.poll(async () => {
				const { json } = await shop.rest('GET', `/api/v1/conversations?q=${word}`);
				const found = json.items.find((c: { id: string }) => c.id === conversationId);
				return found ? `${found.status} ${found.snoozedUntil}` : '';
			})
			.toBe(`snoozed ${at.toISOString()}`);
	} finally {
		await context.close();
	}
});

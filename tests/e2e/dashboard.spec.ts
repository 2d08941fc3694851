import { expect, test } from '@playwright/test';
import { PASSWORD, SUPERVISOR, connectDemoShop, type DemoShop } from './demo.ts';

/**
 * The supervisor's dashboard in the browser, against the real server: two LINE customers write
 * through signed webhooks, the owner answers one, and the supervisor (who cannot reply) sees it
 * counted. LINE is used by no other e2e file, so its row's figures are exactly this file's.
 */

test.describe.configure({ mode: 'serial' });

let shop: DemoShop;
let workspaceId: string;
const rest: DemoShop['rest'] = (...args) => shop.rest(...args);
const customerWrites: DemoShop['customerWrites'] = (...args) => shop.customerWrites(...args);

test.beforeAll(async () => {
	shop = await connectDemoShop('line', 'Demo Shop LINE');
	({ workspaceId } = shop);
});

test.afterAll(() => shop?.close());

test('a supervisor watches today’s figures, switches period, and sees them counted per platform', async ({ browser }) => {
	const answered = await customerWrites('dashboard: do you ship to Chiang Mai?', 'U' + 'a1'.repeat(16));
	await customerWrites('dashboard: สั่งของแล้วยังไม่ได้รับค่ะ', 'U' + 'b2'.repeat(16));
	const reply = await rest('POST', `/api/v1/conversations/${answered}/replies`, { body: 'Yes, 2–3 days by Kerry.' }, { 'idempotency-key': `dash-${Date.now()}` });
	expect(reply.status, JSON.stringify(reply.json)).toBe(202);

	const context = await browser.newContext({ viewport: { width: 1440, height: 1000 }, locale: 'en-GB' });
	const page = await context.newPage();
	await page.goto('/login');
	await page.locator('html[data-hydrated]').waitFor(); // typing before hydration would be lost
	await page.getByLabel('E-mail').fill(SUPERVISOR);
	await page.getByLabel('Password').fill(PASSWORD);
	await page.getByTestId('login-submit').click();
	await expect(page).toHaveURL(/\/w\/[0-9a-f-]{36}\//);

	// The supervisor's own first workspace is another one: the demo shop is reached by its address.
	await page.goto(`/w/${workspaceId}/dashboard`);
	await expect(page.getByTestId('dashboard-period-7d')).toHaveAttribute('aria-current', 'page');
	await expect(page.getByRole('heading', { level: 1, name: 'Dashboard' })).toBeVisible();
	await page.getByTestId('dashboard-period-today').click();
	await expect(page).toHaveURL(/period=today/);
	await expect(page.getByTestId('dashboard-period-today')).toHaveAttribute('aria-current', 'page');

	const cards = page.getByTestId('dashboard-cards');
	for (const id of ['card-new', 'card-open', 'card-customer-messages', 'card-replies', 'card-first-response', 'card-resolution']) {
		await expect(cards.getByTestId(id)).toBeVisible();
	}
	await expect(page.getByTestId('dashboard-updated')).toContainText(/Updated \d{2}:\d{2}:\d{2}/);
	const line = page.getByTestId('dashboard-platform-row').filter({ hasText: 'LINE' });
	await expect(line.locator('td').nth(0)).toHaveText('2');
	await expect(line.locator('td').nth(1)).toHaveText('2');
	await expect(line.locator('td').nth(2)).not.toHaveText('No data');
	await expect(page.getByTestId('dashboard-agent-row').filter({ hasText: 'Demo Owner' })).toBeVisible();
	await expect(page.getByRole('figure').getByRole('table')).toHaveCount(1);
	await page.screenshot({ path: 'test-results/dashboard.png', fullPage: true });

	await page.getByTestId('dashboard-period-30d').click();
	await expect(page.getByTestId('dashboard-period-30d')).toHaveAttribute('aria-current', 'page');
	await expect(page.getByRole('heading', { name: 'Median first response by day' })).toBeVisible();
	await expect(line.locator('td').nth(1)).toHaveText('2');

	// On a phone the page reflows instead of scrolling sideways.
	await page.setViewportSize({ width: 390, height: 844 });
	await expect(cards.getByTestId('card-first-response')).toBeVisible();
	expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
	await page.screenshot({ path: 'test-results/dashboard-phone.png', fullPage: true });
	await context.close();
});

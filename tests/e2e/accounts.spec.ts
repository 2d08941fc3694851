import { expect, test, type Page } from '@playwright/test';

const password = 'correct horse battery';

function email(label: string) {
	return `${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.test`;
}

async function signUp(page: Page, name: string, address: string, shop: string) {
	await page.goto('/signup');
	await page.locator('html[data-hydrated]').waitFor(); // typing before hydration would be lost
	await page.getByLabel('Your name').fill(name);
	await page.getByLabel('E-mail').fill(address);
	await page.getByLabel('Password').fill(password);
	await page.getByLabel('Shop or team name').fill(shop);
	await page.getByTestId('signup-submit').click();
	await expect(page).toHaveURL(/\/w\/[0-9a-f-]{36}\/inbox/);
}

test('the server Playwright starts runs on Node 24', async ({ request }) => {
	const health = await request.get('/healthz');
	expect(health.ok()).toBe(true);
	expect((await health.json()).node).toBe('24');
	expect(process.versions.node.split('.')[0]).toBe('24');
});

test('signing up lands in the inbox of a workspace of your own', async ({ page }) => {
	await signUp(page, 'Ploy', email('ploy'), 'Ploy Cosmetics');
	await expect(page.getByTestId('workspace-switcher')).toContainText('Ploy Cosmetics');
	await expect(page.getByTestId('inbox')).toBeVisible();
	await expect(page.getByRole('link', { name: 'Inbox' })).toHaveAttribute('aria-current', 'page');
});

test('after logging out, a protected page sends you to log in and back after', async ({ page }) => {
	const address = email('logout');
	await signUp(page, 'Lek', address, 'Lek Store');
	const inbox = page.url();
	await page.getByTestId('user-menu').click();
	await page.getByTestId('logout-button').click();
	await expect(page).toHaveURL(/\/login/);
	await page.goto(inbox);
	await expect(page).toHaveURL(/\/login\?redirectTo=/);
	await page.getByLabel('E-mail').fill(address);
	await page.getByLabel('Password').fill(password);
	await page.getByTestId('login-submit').click();
	await expect(page).toHaveURL(inbox);
});

test('a wrong password keeps the e-mail typed and says nothing about the account', async ({ page }) => {
	await page.goto('/login');
	await page.locator('html[data-hydrated]').waitFor(); // typing before hydration would be lost
	await page.getByLabel('E-mail').fill('nobody@example.test');
	await page.getByLabel('Password').fill('wrong password');
	await page.getByTestId('login-submit').click();
	await expect(page.getByTestId('form-message')).toContainText('Wrong e-mail or password');
	await expect(page.getByLabel('E-mail')).toHaveValue('nobody@example.test');
});

test("a second user cannot see the first user's workspace", async ({ browser }) => {
	const first = await browser.newContext();
	const second = await browser.newContext();
	const a = await first.newPage();
	const b = await second.newPage();
	await signUp(a, 'Anan', email('anan'), 'Anan Gadgets');
	await signUp(b, 'Boon', email('boon'), 'Boon Books');
	const foreign = a.url();
	const response = await b.goto(foreign);
	expect(response?.status()).toBe(404);
	await expect(b.getByText('Anan Gadgets')).toHaveCount(0);
	const settings = await b.goto(foreign.replace('/inbox', '/settings/members'));
	expect(settings?.status()).toBe(404);
	await first.close();
	await second.close();
});

test('the Thai interface renders and the language choice persists', async ({ page }) => {
	await signUp(page, 'Nid', email('nid'), 'Nid Shop');
	await page.getByTestId('language-th').click();
	await expect(page.locator('html')).toHaveAttribute('lang', 'th');
	await expect(page.getByTestId('nav-inbox')).not.toHaveText('Inbox');
	await page.screenshot({ path: 'test-results/thai-inbox.png', fullPage: true });
	await page.reload();
	await expect(page.locator('html')).toHaveAttribute('lang', 'th');
	await page.getByTestId('language-en').click();
	await expect(page.getByTestId('nav-inbox')).toHaveText('Inbox');
});

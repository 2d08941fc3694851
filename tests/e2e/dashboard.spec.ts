import { expect, test } from '@playwright/test';
import { signedWebhook, startFakePlatform, type FakePlatform } from '../fakes/platforms.ts';

/**
 * The supervisor's dashboard in the browser, against the real server: two LINE customers write
 * through signed webhooks, the owner answers one, and the supervisor (who cannot reply) sees it
 * counted. LINE is used by no other e2e file, so its row's figures are exactly this file's.
 */

const BASE = `http://127.0.0.1:${process.env.E2E_PORT ?? 4173}`;
const PASSWORD = 'chatmai-demo';
const SUPERVISOR = 'malee@chatmai.local';

test.describe.configure({ mode: 'serial' });

let fake: FakePlatform;
let token: string;
let workspaceId: string;
let connection: { id: string; webhookUrl: string };

async function rest(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
	const res = await fetch(BASE + path, {
		method,
		headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-workspace-id': workspaceId, ...headers },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	const text = await res.text();
	return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function customerWrites(text: string, customerId: string): Promise<string> {
	const hook = signedWebhook('line', { event: { kind: 'message', text, customerId }, webhookUrl: connection.webhookUrl });
	const res = await fetch(connection.webhookUrl, { method: 'POST', headers: hook.headers, body: new Uint8Array(hook.body) });
	expect(res.status).toBe(200);
	await expect
		.poll(async () => (await rest('GET', `/api/v1/conversations?q=${encodeURIComponent(text)}`)).json?.items?.[0]?.id ?? null, { timeout: 20_000 })
		.not.toBeNull();
	return (await rest('GET', `/api/v1/conversations?q=${encodeURIComponent(text)}`)).json.items[0].id;
}

test.beforeAll(async () => {
	const login = await fetch(BASE + '/api/v1/auth/login', {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email: 'demo@chatmai.local', password: PASSWORD })
	});
	const session = await login.json();
	token = session.token;
	workspaceId = session.workspaceId;
	fake = await startFakePlatform('line');
	const created = await rest('POST', '/api/v1/connections', {
		platform: 'line',
		name: 'Demo Shop LINE',
		externalId: fake.config.externalId,
		credentials: fake.credentials,
		settings: fake.config.settings,
		apiBaseUrl: fake.baseUrl
	});
	expect(created.status, JSON.stringify(created.json)).toBe(201);
	connection = created.json.connection;
});

test.afterAll(async () => {
	if (connection) await rest('DELETE', `/api/v1/connections/${connection.id}`);
	await fake?.close();
});

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

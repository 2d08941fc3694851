import { expect, test } from '@playwright/test';
import { signedWebhook, startFakePlatform, type FakePlatform } from '../fakes/platforms.ts';
import { BASE, FAKE_PORTS, OWNER, PASSWORD, logIn } from './demo.ts';

/**
 * A seller connects Shopee the way they would for real: "Connect Shopee" in Settings, Shopee's
 * authorization page (the fake's), "Authorize", and back to ChatMai with the shop connected.
 */

let shopee: FakePlatform;
test.beforeAll(async () => {
	shopee = await startFakePlatform('shopee', { port: FAKE_PORTS.shopee });
});
test.afterAll(async () => {
	await shopee.close();
});

async function demoWorkspace(): Promise<string> {
	const login = await fetch(BASE + '/api/v1/auth/login', {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email: OWNER, password: PASSWORD })
	});
	return (await login.json()).workspaceId;
}

test.describe.configure({ mode: 'serial' });

test('an owner clicks Connect Shopee, authorizes on Shopee’s page, and the shop is connected and receiving', async ({ browser }) => {
	const { context, page } = await logIn(browser, OWNER);
	const workspaceId = await demoWorkspace();
	try {
		await page.goto(`/w/${workspaceId}/settings/connections`);
		await page.locator('html[data-hydrated]').waitFor();
		// Without ORIGIN the URLs to register are this browser's address: the page says so.
		await expect(page.getByTestId('origin-warning')).toContainText('ORIGIN');
		const guide = page.getByTestId('guide-shopee');
		await guide.locator('summary').click();
		await expect(guide.getByLabel('Webhook (push) URL')).toHaveValue(`${BASE}/webhooks/shopee`);
		await expect(guide.getByLabel('Redirect (OAuth callback) URL')).toHaveValue(`${BASE}/connect/shopee/callback`);
		// No verify token anywhere for a platform that has none.
		await expect(page.getByTestId('connect-shopee')).not.toContainText('Verify token');

		await page.getByTestId('connect-button-shopee').click();
		await expect(page).toHaveURL(new RegExp(`^http://127\\.0\\.0\\.1:${FAKE_PORTS.shopee}/api/v2/shop/auth_partner\\?`));
		await expect(page.getByRole('heading', { name: 'Shopee' })).toBeVisible();
		await page.getByRole('link', { name: 'Authorize' }).click();

		await expect(page).toHaveURL(new RegExp(`/w/${workspaceId}/settings/connections\\?connected=1$`));
		await expect(page.getByTestId('connect-done')).toContainText('Connected: 1');
		const card = page.getByTestId('connection').filter({ hasText: 'ChatMai Official Shop' });
		await expect(card).toContainText('Connected');
		await expect(card.getByTestId('connection-last-event')).toContainText('No message received yet');
		await expect(card.getByTestId('connection-token-expiry')).toContainText('renews itself');

		// Shopee pushes a chat; the card shows it arrived.
		const connections = await page.request.get(`${BASE}/api/v1/connections`, { headers: { 'x-workspace-id': workspaceId } });
		const shop = (await connections.json()).connections.find((c: { platform: string; status: string }) => c.platform === 'shopee' && c.status === 'active');
		const hook = signedWebhook('shopee', { event: { kind: 'message', text: 'สวัสดีค่ะ ยังมีของไหม' }, webhookUrl: shop.webhookUrl });
		expect((await fetch(shop.webhookUrl, { method: 'POST', headers: hook.headers, body: new Uint8Array(hook.body) })).status).toBe(200);
		await expect(async () => {
			await page.reload();
			await expect(card.getByTestId('connection-last-event')).toContainText('Last message received');
		}).toPass();

		page.once('dialog', (dialog) => dialog.accept());
		await card.getByRole('button', { name: 'Disconnect ChatMai Official Shop' }).click();
		await expect(card).toContainText('Disconnected');
	} finally {
		await context.close();
	}
});

test('a callback that ChatMai did not start shows a clear page and connects nothing', async ({ browser }) => {
	const { context, page } = await logIn(browser, OWNER);
	const workspaceId = await demoWorkspace();
	try {
		await page.goto('/connect/shopee/callback?state=forged.state&code=abc&shop_id=947042923');
		await expect(page.getByRole('heading', { name: 'Could not connect Shopee' })).toBeVisible();
		await expect(page.getByTestId('connect-problem')).toContainText('was not started by you');
		await expect(page.getByText('Nothing was saved.')).toBeVisible();
		const list = await page.request.get(`${BASE}/api/v1/connections`, { headers: { 'x-workspace-id': workspaceId } });
		const active = (await list.json()).connections.filter((c: { platform: string; status: string }) => c.platform === 'shopee' && c.status === 'active');
		expect(active).toEqual([]);
	} finally {
		await context.close();
	}
});

import { expect, test } from '@playwright/test';
import { AGENT, connectDemoShop, logIn, type DemoShop } from './demo.ts';

/**
 * The customer panel: the customer's name from their Messenger profile, and the details an agent keeps about
 * them. (Messenger, not LINE: the dashboard file counts today's LINE conversations of the demo workspace.)
 */

let shop: DemoShop;
test.beforeAll(async () => {
	shop = await connectDemoShop('facebook', 'Customer Panel Page');
});
test.afterAll(async () => {
	await shop?.close();
});

test('an agent sees the customer’s Messenger name, gives them a name of their own with a phone and a note, and the platform’s name stays visible', async ({ browser }) => {
	const psid = '7' + String(Date.now()).padStart(14, '0');
	const platformName = `Somchai Jaidee ${psid.slice(-4)}`;
	const conversationId = await shop.customerWrites('customer panel: ส่งของวันไหนคะ', psid);
	// The worker fetches the Messenger profile after the message is stored.
	await expect.poll(async () => (await shop.rest('GET', `/api/v1/conversations/${conversationId}`)).json.contact.name).toBe(platformName);

	const { context, page } = await logIn(browser, AGENT);
	try {
		await page.goto(`/w/${shop.workspaceId}/inbox/${conversationId}`);
		await page.locator('html[data-hydrated]').waitFor();
		const panel = page.getByTestId('customer-panel');
		await expect(panel.getByTestId('customer-name')).toHaveText(platformName);
		await panel.getByTestId('customer-edit').click();
		await panel.getByLabel('Name in ChatMai').fill('คุณแพร ลูกค้าประจำ');
		await panel.getByLabel('Phone').fill('081 234 5678');
		await panel.getByLabel('Note').fill('Prefers Kerry Express');
		await panel.getByTestId('customer-save').click();
		await expect(panel.getByTestId('customer-name')).toHaveText('คุณแพร ลูกค้าประจำ');
		await expect(panel.getByTestId('customer-platform-name')).toHaveText(`Name on the platform: ${platformName}`);
		await expect(panel.getByTestId('customer-phone')).toHaveText('081 234 5678');
		await expect(panel.getByTestId('customer-note')).toHaveText('Prefers Kerry Express');
		// Saved on the server, not only on the page.
		await page.reload();
		await expect(page.getByTestId('customer-panel').getByTestId('customer-name')).toHaveText('คุณแพร ลูกค้าประจำ');
	} finally {
		await context.close();
	}
});

import { expect, test } from '@playwright/test';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signedWebhook } from '../fakes/platforms.ts';
import { OWNER, connectDemoShop, logIn, type DemoShop } from './demo.ts';

/**
 * Issue 11: a customer's image is shown through ChatMai (members only), never fetched by the
 * viewer's browser from the platform's host. The "platform CDN" here is a local server that
 * records who asked: the ChatMai server (Node) or a browser.
 */
const PNG = Buffer.from(
	'89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360f8cf00000301010018dd8db00000000049454e44ae426082',
	'hex'
);
let shop: DemoShop;
let cdn: Server;
let cdnBase: string;
const requests: IncomingHttpHeaders[] = [];

test.beforeAll(async () => {
	shop = await connectDemoShop('facebook', 'Media Page');
	cdn = createServer((req, res) => {
		requests.push(req.headers);
		res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
	});
	await new Promise<void>((resolve) => cdn.listen(0, '127.0.0.1', resolve));
	cdnBase = `http://127.0.0.1:${(cdn.address() as AddressInfo).port}`;
});
test.afterAll(async () => {
	await shop?.close();
	cdn?.closeAllConnections();
	await new Promise<void>((resolve) => (cdn ? cdn.close(() => resolve()) : resolve()));
});

test('a customer’s image is served through ChatMai, and the browser never asks the platform’s host', async ({ browser }) => {
	const marker = `photo-${Date.now()}`;
	const customerId = '7' + String(Math.floor(Math.random() * 1e14)).padStart(14, '0');
	const conversationId = await shop.customerWrites(`${marker} see the damage`, customerId);
	const hook = signedWebhook('facebook', { event: { kind: 'message', imageUrl: `${cdnBase}/damage.png`, customerId }, webhookUrl: shop.connection.webhookUrl, accountId: shop.connection.externalId });
	expect((await fetch(shop.connection.webhookUrl, { method: 'POST', headers: hook.headers, body: new Uint8Array(hook.body) })).status).toBe(200);

	const { context, page } = await logIn(browser, OWNER);
	await page.goto(`/w/${shop.workspaceId}/inbox/${conversationId}`);
	const image = page.getByTestId('message-image');
	await expect(image).toHaveCount(1, { timeout: 15_000 });
	await expect(image).toHaveAttribute('src', new RegExp(`^/w/${shop.workspaceId}/media/[0-9a-f-]{36}/0$`));
	await expect.poll(() => image.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth)).toBe(1);
	const fromBrowsers = requests.filter((h) => /Mozilla|Chrome/.test(h['user-agent'] ?? '')).length;
	console.log(`image host asked ${requests.length} time(s), ${fromBrowsers} by a browser`);
	expect(requests.length).toBeGreaterThan(0);
	expect(fromBrowsers).toBe(0);
	await context.close();
});

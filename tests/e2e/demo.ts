import { expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { signedWebhook, startFakePlatform, uniqueAccountId, type FakePlatform } from '../fakes/platforms.ts';

/**
 * What every e2e file needs of the seeded demo workspace: its logins, a REST client as the owner,
 * a fake platform connected to it (removed again after, since the files share the workspace),
 * customers writing in through signed webhooks, and agents logging in through the form.
 */

const PORT = Number(process.env.E2E_PORT ?? 4173);
export const BASE = `http://127.0.0.1:${PORT}`;
/** The fakes the e2e server is pointed at (playwright.config.ts): one at a time per platform. */
export const FAKE_PORTS = { shopee: PORT + 2, line: PORT + 3 } as const;
export const PASSWORD = 'chatmai-demo';
export const OWNER = 'demo@chatmai.local';
export const AGENT = 'somchai@chatmai.local';
export const SUPERVISOR = 'malee@chatmai.local';

export interface RestAnswer {
	status: number;
	json: any;
}

export interface DemoShop {
	token: string;
	workspaceId: string;
	fake: FakePlatform;
	connection: { id: string; webhookUrl: string; externalId: string };
	/** The REST API as the owner, in the demo workspace. */
	rest(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<RestAnswer>;
	/** A customer writes in through a signed webhook; resolves to the conversation's id once it is listed. */
	customerWrites(text: string, customerId?: string): Promise<string>;
	/** Disconnects the connection and stops the fake platform. */
	close(): Promise<void>;
}

function randomCustomer(platform: 'facebook' | 'line'): string {
	return platform === 'line'
		? 'U' + crypto.randomUUID().replaceAll('-', '')
		: '7' + String(Math.floor(Math.random() * 1e14)).padStart(14, '0');
}

/** Logs the owner in over the API and connects a fake `platform` to the demo workspace. */
export async function connectDemoShop(platform: 'facebook' | 'line', name: string): Promise<DemoShop> {
	const login = await fetch(BASE + '/api/v1/auth/login', {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email: OWNER, password: PASSWORD })
	});
	const { token, workspaceId } = await login.json();
	const rest: DemoShop['rest'] = async (method, path, body, headers = {}) => {
		const res = await fetch(BASE + path, {
			method,
			headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-workspace-id': workspaceId, ...headers },
			body: body === undefined ? undefined : JSON.stringify(body)
		});
		const text = await res.text();
		return { status: res.status, json: text ? JSON.parse(text) : null };
	};
	// An account of its own: one platform account is connected once in the whole database.
	const fake = await startFakePlatform(platform, { accountId: uniqueAccountId(platform), ...(platform === 'line' ? { port: FAKE_PORTS.line } : {}) });
	const created = await rest('POST', '/api/v1/connections', {
		platform,
		name,
		externalId: fake.config.externalId,
		credentials: fake.credentials,
		settings: fake.config.settings,
		apiBaseUrl: fake.baseUrl
	});
	expect(created.status, JSON.stringify(created.json)).toBe(201);
	const connection = created.json.connection;

	async function customerWrites(text: string, customerId = randomCustomer(platform)): Promise<string> {
		const hook = signedWebhook(platform, { event: { kind: 'message', text, customerId }, webhookUrl: connection.webhookUrl, accountId: connection.externalId });
		const res = await fetch(connection.webhookUrl, { method: 'POST', headers: hook.headers, body: new Uint8Array(hook.body) });
		expect(res.status).toBe(200);
		const probe = text.slice(0, 40);
		for (let i = 0; i < 200; i++) {
			const list = await rest('GET', `/api/v1/conversations?q=${encodeURIComponent(probe)}`);
			const found = list.json?.items?.find((c: { lastMessagePreview: string }) => c.lastMessagePreview.includes(probe));
			// The worker then reads the customer's profile from the platform: done before a test makes the fake fail.
			if (found && fake.requests.some((r) => r.method === 'GET' && r.path.endsWith(`/${customerId}`) && r.status !== undefined)) return found.id;
			await new Promise((r) => setTimeout(r, 100));
		}
		throw new Error('the conversation did not arrive');
	}

	return {
		token,
		workspaceId,
		fake,
		connection,
		rest,
		customerWrites,
		async close() {
			await rest('DELETE', `/api/v1/connections/${connection.id}`);
			await fake.close();
		}
	};
}

/** A new browser context logged in through the form as `email`. */
export async function logIn(browser: Browser, email: string, viewport = { width: 1440, height: 900 }): Promise<{ context: BrowserContext; page: Page }> {
	const context = await browser.newContext({ viewport, locale: 'en-GB' });
	const page = await context.newPage();
	await page.goto('/login');
	await page.locator('html[data-hydrated]').waitFor(); // typing before hydration would be lost
	await page.getByLabel('E-mail').fill(email);
	await page.getByLabel('Password').fill(PASSWORD);
	await page.getByTestId('login-submit').click();
	await expect(page).toHaveURL(/\/w\/[0-9a-f-]{36}\//);
	return { context, page };
}

/** The shared draft as this page shows it, without other agents' caret labels. */
export function draftOf(page: Page): Promise<string> {
	return page.evaluate(() => {
		const root = document.querySelector('[data-testid="reply-editor"] .reply-input');
		if (!root) return '';
		const copy = root.cloneNode(true) as HTMLElement;
		copy.querySelectorAll('.collaboration-carets__caret').forEach((c) => c.remove());
		return [...copy.querySelectorAll('p')].map((p) => p.textContent).join('\n').trim();
	});
}

import { expect, test, type Browser, type Page } from '@playwright/test';
import { signedWebhook, startFakePlatform, type FakePlatform } from '../fakes/platforms.ts';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';

/**
 * "Draft with AI" in the browser: the suggestion lands in the shared draft for every agent, and
 * with the model missing the button says so while replying by hand still works. The fake Ollama
 * listens where the server looks for it (OLLAMA_HOST, by default 127.0.0.1:11434).
 */

const BASE = `http://127.0.0.1:${process.env.E2E_PORT ?? 4173}`;
const PASSWORD = 'chatmai-demo';
const OWNER = 'demo@chatmai.local';
const AGENT = 'somchai@chatmai.local';
const SUPERVISOR = 'malee@chatmai.local';

test.describe.configure({ mode: 'serial' });

let platform: FakePlatform;
let ollama: FakeOllama;
let token: string;
let workspaceId: string;
let connectionId: string | undefined;
let webhookUrl: string;

async function rest(method: string, path: string, body?: unknown) {
	const res = await fetch(BASE + path, {
		method,
		headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-workspace-id': workspaceId ?? '' },
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	const text = await res.text();
	return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function customerWrites(text: string): Promise<string> {
	const customerId = '7' + String(Math.floor(Math.random() * 1e14)).padStart(14, '0');
	const hook = signedWebhook('facebook', { event: { kind: 'message', text, customerId }, webhookUrl });
	expect((await fetch(webhookUrl, { method: 'POST', headers: hook.headers, body: new Uint8Array(hook.body) })).status).toBe(200);
	for (let i = 0; i < 200; i++) {
		const list = await rest('GET', `/api/v1/conversations?q=${encodeURIComponent(text.slice(0, 40))}`);
		const found = list.json?.items?.find((c: { lastMessagePreview: string }) => c.lastMessagePreview.includes(text.slice(0, 40)));
		if (found) return found.id;
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error('the conversation did not arrive');
}

async function open(browser: Browser, email: string, conversationId: string): Promise<Page> {
	const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, locale: 'en-GB' });
	const page = await context.newPage();
	await page.goto('/login');
	await page.locator('html[data-hydrated]').waitFor(); // typing before hydration would be lost
	await page.getByLabel('E-mail').fill(email);
	await page.getByLabel('Password').fill(PASSWORD);
	await page.getByTestId('login-submit').click();
	await expect(page).toHaveURL(/\/w\/[0-9a-f-]{36}\//);
	await page.goto(`/w/${workspaceId}/inbox/${conversationId}`);
	await expect(page.getByTestId('reply-editor')).toHaveAttribute('data-ready', 'true');
	return page;
}

function draftOf(page: Page): Promise<string> {
	return page.evaluate(() => {
		const root = document.querySelector('[data-testid="reply-editor"] .reply-input');
		if (!root) return '';
		const copy = root.cloneNode(true) as HTMLElement;
		copy.querySelectorAll('.collaboration-carets__caret').forEach((c) => c.remove());
		return [...copy.querySelectorAll('p')].map((p) => p.textContent).join('\n').trim();
	});
}

test.beforeAll(async () => {
	const port = Number(new URL(process.env.OLLAMA_HOST ?? 'http://127.0.0.1:11434').port || 11434);
	ollama = await startFakeOllama({ port });
	const login = await fetch(BASE + '/api/v1/auth/login', {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email: OWNER, password: PASSWORD })
	});
	const session = await login.json();
	token = session.token;
	workspaceId = session.workspaceId;
	platform = await startFakePlatform('facebook');
	const created = await rest('POST', '/api/v1/connections', {
		platform: 'facebook',
		name: 'AI Test Page',
		externalId: platform.config.externalId,
		credentials: platform.credentials,
		settings: platform.config.settings,
		apiBaseUrl: platform.baseUrl
	});
	expect(created.status, JSON.stringify(created.json)).toBe(201);
	webhookUrl = created.json.connection.webhookUrl;
	connectionId = created.json.connection.id;
});

test.afterAll(async () => {
	// The demo workspace is shared by every e2e file: leave no connection behind.
	if (connectionId) await rest('DELETE', `/api/v1/connections/${connectionId}`);
	await platform?.close();
	await ollama?.close();
});

test('an agent drafts with AI: the suggestion lands in the shared draft for everyone, and supervisors get no button', async ({ browser }) => {
	const conversationId = await customerWrites('Do you have the linen shirt in size L? ' + Date.now());
	ollama.reply = ['Thank you for asking! ', 'Let me check the size L stock ', 'and get back to you shortly.'];
	const agent = await open(browser, AGENT, conversationId);
	const owner = await open(browser, OWNER, conversationId);
	const supervisor = await open(browser, SUPERVISOR, conversationId);

	await expect(agent.getByTestId('ai-draft')).toHaveText('Draft with AI');
	await expect(supervisor.getByTestId('ai-draft')).toHaveCount(0);
	await agent.getByTestId('ai-draft').click();
	const suggestion = 'Thank you for asking! Let me check the size L stock and get back to you shortly.';
	await expect.poll(() => draftOf(agent)).toBe(suggestion);
	await expect.poll(() => draftOf(owner)).toBe(suggestion);
	expect(ollama.chats().at(-1)!.json.messages.at(-1).content).toContain('linen shirt in size L');

	// A second draft goes below what is already there.
	ollama.reply = ['Anything else?'];
	await agent.getByTestId('ai-draft').click();
	await expect.poll(() => draftOf(owner)).toBe(`${suggestion}\nAnything else?`);
});

test('with the model missing the button says AI unavailable and explains, and replying by hand still works', async ({ browser }) => {
	const conversationId = await customerWrites('Where is my parcel? ' + Date.now());
	ollama.models = [];
	const agent = await open(browser, AGENT, conversationId);
	const button = agent.getByTestId('ai-draft');
	await expect(button).toHaveText('AI unavailable');
	await expect(button).toHaveAttribute('title', /not installed/);
	await button.click();
	await expect(agent.getByTestId('toast')).toContainText('ollama pull llama3.2');

	await agent.getByTestId('reply-editor').locator('.reply-input').click();
	await agent.keyboard.type('It left our shop today.');
	await agent.getByTestId('send').click();
	await expect(agent.getByTestId('thread')).toContainText('It left our shop today.');
	ollama.models = ['llama3.2:latest'];
});

import { expect, test, type Browser, type Page } from '@playwright/test';
import { AGENT, OWNER, SUPERVISOR, connectDemoShop, draftOf, logIn, type DemoShop } from './demo.ts';
import { startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';

/**
 * "Draft with AI" in the browser: the suggestion lands in the shared draft for every agent, and
 * with the model missing the button says so while replying by hand still works. The fake Ollama
 * listens where the server looks for it (OLLAMA_HOST, by default 127.0.0.1:11434).
 */

test.describe.configure({ mode: 'serial' });

let shop: DemoShop;
let ollama: FakeOllama;
let workspaceId: string;
const customerWrites = (text: string) => shop.customerWrites(text);

async function open(browser: Browser, email: string, conversationId: string): Promise<Page> {
	const { page } = await logIn(browser, email);
	await page.goto(`/w/${workspaceId}/inbox/${conversationId}`);
	await expect(page.getByTestId('reply-editor')).toHaveAttribute('data-ready', 'true');
	return page;
}

test.beforeAll(async () => {
	const port = Number(new URL(process.env.OLLAMA_HOST ?? 'http://127.0.0.1:11434').port || 11434);
	ollama = await startFakeOllama({ port });
	shop = await connectDemoShop('facebook', 'AI Test Page');
	({ workspaceId } = shop);
});

test.afterAll(async () => {
	// The demo workspace is shared by every e2e file: leave no connection behind.
	await shop?.close();
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

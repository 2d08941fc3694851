import { expect, test, type Browser, type Page, type BrowserContext } from '@playwright/test';
import { AGENT, OWNER, SUPERVISOR, connectDemoShop, draftOf, logIn, type DemoShop } from './demo.ts';
import { DEFAULT_MODELS, startFakeOllama, type FakeOllama } from '../fakes/ollama.ts';

/**
 * The AI copilot in the browser: it writes into the shared draft while two agents watch (with its
 * caret and an "AI is writing" line), one of them stops it, a failure mid-way leaves the text
 * marked incomplete, and with the model missing the button says so in plain words while replying
 * by hand still works. The fake Ollama listens where the server looks for it (OLLAMA_HOST).
 */

test.describe.configure({ mode: 'serial' });

let shop: DemoShop;
let ollama: FakeOllama;
let workspaceId: string;
const customerWrites = (text: string) => shop.customerWrites(text);
const WORDS = Array.from({ length: 80 }, (_, i) => `word${i} `);

/** Every context a test opens is closed after it: an open page keeps its member online (the workspace feed). */
const opened: BrowserContext[] = [];
async function signIn(browser: Browser, email: string) {
	const login = await logIn(browser, email);
	opened.push(login.context);
	return login;
}
test.afterEach(async () => {
	await Promise.all(opened.splice(0).map((context) => context.close()));
});

async function open(browser: Browser, email: string, conversationId: string): Promise<Page> {
	const { page } = await signIn(browser, email);
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

test.afterEach(() => {
	ollama.mode = 'ok';
	ollama.tokenDelayMs = 0;
	ollama.models = [...DEFAULT_MODELS];
});

test.afterAll(async () => {
	// The demo workspace is shared by every e2e file: leave no connection behind.
	await shop?.close();
	await ollama?.close();
});

test('two agents watch the AI write into the shared draft, and the other agent stops it', async ({ browser }) => {
	const conversationId = await customerWrites('Do you have the linen shirt in size L? ' + Date.now());
	const agent = await open(browser, AGENT, conversationId);
	const owner = await open(browser, OWNER, conversationId);
	const supervisor = await open(browser, SUPERVISOR, conversationId);
	await expect(agent.getByTestId('ai-draft')).toHaveText('Draft with AI');
	await expect(supervisor.getByTestId('ai-draft')).toHaveCount(0);

	ollama.reply = WORDS;
	ollama.tokenDelayMs = 120;
	await agent.getByTestId('ai-draft').click();

	// Both agents (and the supervisor) see it being written, by the AI, for Somchai.
	for (const page of [agent, owner, supervisor]) {
		await expect(page.getByTestId('ai-status')).toHaveAttribute('data-state', 'writing');
		await expect(page.getByTestId('ai-status')).toContainText('AI is writing a reply (asked by Somchai)');
	}
	await expect(owner.locator('.collaboration-carets__label', { hasText: /^AI$/ })).toBeVisible();
	await expect.poll(() => draftOf(owner)).toMatch(/^word0 word1 word2/);
	await expect.poll(() => draftOf(agent)).toMatch(/^word0 word1 word2/);
	expect(ollama.chats().at(-1)!.json.messages.at(-1).content).toContain('linen shirt in size L');

	// The other agent stops it: the request to Ollama is closed, the text so far stays for both.
	const aborted = ollama.chats().filter((c) => c.aborted).length;
	await owner.getByTestId('ai-stop').click();
	await ollama.abortedChats(aborted + 1);
	for (const page of [agent, owner]) await expect(page.getByTestId('ai-status')).toHaveAttribute('data-state', 'idle');
	await expect(agent.getByTestId('ai-draft')).toHaveText('Draft with AI');
	const kept = await draftOf(owner);
	expect(kept).toMatch(/^word0 word1 word2/);
	expect(kept).not.toContain('word79');
	await expect.poll(() => draftOf(agent)).toBe(kept);
	await expect(owner.locator('.collaboration-carets__label', { hasText: /^AI$/ })).toHaveCount(0);
});

test('a failure half-way leaves the text marked incomplete for everyone until dismissed', async ({ browser }) => {
	const conversationId = await customerWrites('ส่งของวันไหนคะ ' + Date.now());
	const agent = await open(browser, AGENT, conversationId);
	const owner = await open(browser, OWNER, conversationId);
	ollama.mode = 'midstream-error';
	ollama.reply = ['ส่งของพรุ่งนี้ค่ะ', 'never sent'];
	await agent.getByTestId('ai-draft').click();
	for (const page of [agent, owner]) {
		await expect(page.getByTestId('ai-status')).toHaveAttribute('data-state', 'interrupted');
		await expect(page.getByTestId('ai-status')).toContainText('incomplete');
	}
	await expect.poll(() => draftOf(owner)).toBe('ส่งของพรุ่งนี้ค่ะ');
	await owner.getByTestId('ai-dismiss').click();
	await expect(agent.getByTestId('ai-status')).toHaveAttribute('data-state', 'idle');
});

test('with the model missing the button says AI unavailable in plain words, Settings shows the pull command, and replying by hand works', async ({ browser }) => {
	const conversationId = await customerWrites('Where is my parcel? ' + Date.now());
	ollama.models = [];
	const agent = await open(browser, AGENT, conversationId);
	const button = agent.getByTestId('ai-draft');
	await expect(button).toHaveText('AI unavailable');
	await expect(button).toHaveAttribute('title', /not set up yet/);
	await button.click();
	await expect(agent.getByTestId('toast')).toContainText('ask an admin to finish setting it up');

	await agent.getByTestId('reply-editor').locator('.reply-input').click();
	await agent.keyboard.type('It left our shop today.');
	await agent.getByTestId('send').click();
	await expect(agent.getByTestId('thread')).toContainText('It left our shop today.');

	const { page: owner } = await signIn(browser, OWNER);
	await owner.goto(`/w/${workspaceId}/settings/ai`);
	await expect(owner.getByTestId('ai-health-reachable')).toHaveAttribute('data-ok', 'true');
	await expect(owner.getByTestId('ai-health-present')).toHaveAttribute('data-ok', 'false');
	await expect(owner.getByTestId('ai-pull-command')).toHaveText('ollama pull scb10x/typhoon2.1-gemma3-4b');
	ollama.models = [...DEFAULT_MODELS];
	await owner.reload();
	await expect(owner.getByTestId('ai-health-present')).toContainText('2.6 GB');
});

test('an owner picks the workspace’s model and an agent picks ครับ in Settings; the next draft uses both', async ({ browser }) => {
	const { page: owner } = await signIn(browser, OWNER);
	await owner.goto(`/w/${workspaceId}/settings/ai`);
	await owner.getByLabel('AI model for this workspace').fill('llama3.2');
	await owner.getByTestId('ai-model-submit').click();
	await expect(owner.getByTestId('ai-model-saved')).toBeVisible();
	await owner.reload();
	await expect(owner.getByTestId('ai-health-model')).toHaveText('llama3.2');

	const { page: agentSettings } = await signIn(browser, AGENT);
	await agentSettings.goto(`/w/${workspaceId}/settings/ai`);
	await expect(agentSettings.getByTestId('ai-model-form')).toHaveCount(0);
	await agentSettings.getByLabel('ครับ').check();
	await agentSettings.getByTestId('ai-particle-submit').click();
	await expect(agentSettings.getByTestId('ai-particle-saved')).toBeVisible();

	const conversationId = await customerWrites('สวัสดีครับ มีเสื้อสีดำไหมครับ ' + Date.now());
	const agent = await open(browser, AGENT, conversationId);
	ollama.reply = ['มีครับ'];
	await agent.getByTestId('ai-draft').click();
	await expect.poll(() => draftOf(agent)).toBe('มีครับ');
	const sent = ollama.chats().at(-1)!.json;
	expect(sent.model).toBe('llama3.2');
	expect(sent.messages[0].content).toContain('end polite sentences with ครับ');

	// The demo workspace is shared by every e2e file: back to the defaults.
	await owner.getByLabel('AI model for this workspace').fill('');
	await owner.getByTestId('ai-model-submit').click();
	await expect(owner.getByTestId('ai-model-saved')).toBeVisible();
	await agentSettings.getByLabel('Let the AI choose').check();
	await agentSettings.getByTestId('ai-particle-submit').click();
	await expect(agentSettings.getByTestId('ai-particle-saved')).toBeVisible();
});

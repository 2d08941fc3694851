import { expect, test } from '@playwright/test';
import { AGENT, OWNER, connectDemoShop, logIn, type DemoShop } from './demo.ts';

/**
 * The platforms' clocks in the inbox and auto-assignment (issue 16), against the real server: a
 * Messenger customer's message shows the window's clock on its row, the owner turns on
 * round-robin in Settings → Routing, and a new conversation goes to the agent who has ChatMai open.
 */

test.describe.configure({ mode: 'serial' });

let shop: DemoShop;

test.beforeAll(async () => {
	shop = await connectDemoShop('facebook', 'Routing Page');
});

// The demo workspace is shared by every e2e file: routing goes back off, nobody stays away.
test.afterAll(async () => {
	await shop?.rest('PUT', '/api/v1/routing', { mode: 'off', reofferMinutes: null, businessHoursOnly: false });
	await shop?.close();
});

test('a Messenger conversation shows when its reply window closes, and Due soon puts it first', async ({ browser }) => {
	const id = await shop.customerWrites(`Do you ship to Chiang Mai? ${Date.now()}`);
	const { context, page } = await logIn(browser, OWNER);
	try {
		await page.goto(`/w/${shop.workspaceId}/inbox`);
		await page.locator('html[data-hydrated]').waitFor();
		const row = page.locator(`[data-conversation-id="${id}"]`);
		await expect(row.getByTestId('row-clock')).toHaveText(/^due in (23|24) h$/);
		await expect(row.getByTestId('row-clock')).toHaveAttribute('title', /Messenger stops normal replies at/);

		await page.getByTestId('list-sort').selectOption('due');
		const first = page.getByTestId('conversation-row').first();
		await expect(first.getByTestId('row-clock')).toBeVisible();
		await page.screenshot({ path: 'test-results/inbox-due-soon.png' });

		const api = await shop.rest('GET', '/api/v1/conversations?sort=due&limit=100');
		expect(api.status).toBe(200);
		const dues = api.json.items.map((c: { dueAt: string | null }) => c.dueAt);
		const owed = dues.filter((d: string | null) => d !== null);
		expect(dues.slice(0, owed.length)).toEqual(owed);
		expect([...owed].sort()).toEqual(owed);
	} finally {
		await context.close();
	}
});

test('an owner turns on round-robin, leaves, and a new conversation goes to the agent who is online; away stops it', async ({ browser }) => {
	// Coming back from away is picked up by the next routing round (every minute): room for one.
	test.setTimeout(150_000);
	const owner = await logIn(browser, OWNER);
	const agent = await logIn(browser, AGENT);
	try {
		// The agent has a conversation open: online.
		const seen = await shop.customerWrites(`Hello from an early customer ${Date.now()}`);
		await agent.page.goto(`/w/${shop.workspaceId}/inbox/${seen}`);
		await expect(agent.page.getByTestId('reply-editor')).toHaveAttribute('data-ready', 'true');

		await owner.page.goto(`/w/${shop.workspaceId}/settings/routing`);
		await owner.page.locator('html[data-hydrated]').waitFor();
		await owner.page.getByTestId('routing-mode-round_robin').check();
		await owner.page.getByTestId('routing-submit').click();
		await expect(owner.page.getByTestId('routing-saved')).toBeVisible();
		await owner.page.getByTestId('hours-form').scrollIntoViewIfNeeded();
		await owner.page.screenshot({ path: 'test-results/routing-settings.png' });
		// An agent with any page of the app open is online (the workspace feed); the owner leaves, so only Somchai is.
		await owner.context.close();

		const members = (await shop.rest('GET', '/api/v1/routing')).json.members as { userId: string; name: string }[];
		const somchai = members.find((m) => m.name === 'Somchai')!;
		const fresh = await shop.customerWrites(`Is this still available? ${Date.now()}`);
		await expect
			.poll(async () => (await shop.rest('GET', `/api/v1/conversations/${fresh}`)).json.conversation?.assignee?.id ?? null, { timeout: 20_000 })
			.toBe(somchai.userId);

		// The agent pauses in Settings → Routing in another tab, the conversation still open: the next one waits.
		const settings = await agent.context.newPage();
		await settings.goto(`/w/${shop.workspaceId}/settings/routing`);
		await settings.locator('html[data-hydrated]').waitFor();
		await expect(settings.getByTestId('routing-mode-readonly')).toHaveText('In turn (round-robin)');
		await settings.getByTestId('away-toggle').click();
		await expect(settings.getByTestId('away-state')).toContainText('You are away');
		const waiting = await shop.customerWrites(`Anyone there? ${Date.now()}`);
		// The agent is away and the owner has left: nobody to give it to, a few rounds later still.
		await new Promise((resolve) => setTimeout(resolve, 3000));
		expect((await shop.rest('GET', `/api/v1/conversations/${waiting}`)).json.conversation.assignee).toBeNull();
		await settings.getByTestId('away-toggle').click();
		await expect(settings.getByTestId('away-state')).toContainText('You are available');
		// Back, with the conversation still open: the waiting one is theirs within a round.
		await expect
			.poll(async () => (await shop.rest('GET', `/api/v1/conversations/${waiting}`)).json.conversation?.assignee?.id ?? null, { timeout: 75_000 })
			.toBe(somchai.userId);
	} finally {
		await owner.context.close();
		await agent.context.close();
	}
});

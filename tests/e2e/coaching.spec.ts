import { expect, test, type Page } from '@playwright/test';
import { AGENT, SUPERVISOR, connectDemoShop, logIn, type DemoShop } from './demo.ts';

/**
 * Supervisors coach (issue 10): a supervisor writes an internal note with an @mention that the
 * agent sees live and is notified of, while the reply box, assignment and status stay closed to them.
 */

let shop: DemoShop;

test.beforeAll(async () => {
	shop = await connectDemoShop('facebook', 'Coaching Page');
});
test.afterAll(() => shop?.close());

async function openConversation(page: Page, conversationId: string) {
	await page.goto(`/w/${shop.workspaceId}/inbox/${conversationId}`);
	await expect(page.getByTestId('reply-editor')).toHaveAttribute('data-ready', 'true');
	await expect(page.getByTestId('thread')).toHaveAttribute('aria-busy', 'false');
}

test('a supervisor writes a note with an @mention that the agent sees live, and still cannot reply', async ({ browser }) => {
	const conversationId = await shop.customerWrites(`My parcel arrived broken ${Date.now()}`);
	const agent = await logIn(browser, AGENT);
	const supervisor = await logIn(browser, SUPERVISOR);
	await openConversation(agent.page, conversationId);
	await openConversation(supervisor.page, conversationId);

	await expect(supervisor.page.getByTestId('read-only-banner')).toBeVisible();
	await expect(supervisor.page.getByTestId('send')).toBeDisabled();
	await expect(supervisor.page.getByTestId('assignee-select')).toBeDisabled();
	await expect(supervisor.page.getByTestId('status-select')).toBeDisabled();
	await expect(supervisor.page.getByTestId('reply-editor').locator('.reply-input')).toHaveAttribute('contenteditable', 'false');

	await supervisor.page.getByTestId('tab-note').click();
	const text = `@Somchai apologise first, then offer a replacement ${Date.now()}`;
	await supervisor.page.getByTestId('note-input').fill(text);
	await supervisor.page.getByTestId('note-submit').click();
	await expect(supervisor.page.getByTestId('note-input')).toHaveValue('');
	for (const page of [supervisor.page, agent.page]) {
		await expect(page.getByTestId('note').filter({ hasText: 'offer a replacement' })).toContainText('Malee');
	}
	await expect(agent.page.getByTestId('note').filter({ hasText: 'offer a replacement' }).locator('mark')).toHaveText('@Somchai');

	// The agent is notified of the mention.
	await agent.page.getByTestId('notifications-toggle').click();
	await expect(agent.page.getByTestId('notification').filter({ hasText: 'offer a replacement' })).toHaveCount(1);

	await agent.context.close();
	await supervisor.context.close();
});

import { expect, test, type Page } from '@playwright/test';
import { PERMISSIONS } from '../../src/lib/server/scope.ts';
import { AGENT, PASSWORD as DEMO_PASSWORD } from './demo.ts';
import { waitForMail } from './mailbox.ts';

const password = 'correct horse battery';

function email(label: string) {
	return `${label}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}@example.test`;
}

async function ready(page: Page, path: string) {
	await page.goto(path);
	await page.locator('html[data-hydrated]').waitFor(); // typing before hydration would be lost
}

async function logIn(page: Page, address: string, secret: string) {
	await ready(page, '/login');
	await page.getByLabel('E-mail').fill(address);
	await page.getByLabel('Password').fill(secret);
	await page.getByTestId('login-submit').click();
}

async function logOut(page: Page) {
	await page.getByTestId('user-menu').click();
	await page.getByTestId('logout-button').click();
	await expect(page).toHaveURL(/\/login/);
}

test('an invited agent signs up from the link into the inviting shop, and is still there after logging in again', async ({ browser }) => {
	const ownerContext = await browser.newContext();
	const owner = await ownerContext.newPage();
	const shop = `Team Shop ${Math.random().toString(36).slice(2, 6)}`;
	await ready(owner, '/signup');
	await owner.getByLabel('Your name').fill('Ploy');
	await owner.getByLabel('E-mail').fill(email('owner'));
	await owner.getByLabel('Password').fill(password);
	await owner.getByLabel('Shop or team name').fill(shop);
	await owner.getByTestId('signup-submit').click();
	await expect(owner).toHaveURL(/\/w\/[0-9a-f-]{36}\/inbox/);
	const inbox = owner.url();
	const workspaceId = inbox.match(/\/w\/([0-9a-f-]{36})\//)![1];

	await ready(owner, `/w/${workspaceId}/settings/members`);
	// What each role may do, one row per permission of the role table.
	await expect(owner.getByTestId('role-permission')).toHaveCount(Object.keys(PERMISSIONS).length);
	await expect(owner.locator('[data-permission="converse"] [data-role="supervisor"]')).toHaveAttribute('data-allowed', 'false');
	await expect(owner.locator('[data-permission="converse"] [data-role="agent"]')).toHaveAttribute('data-allowed', 'true');
	await owner.getByLabel('Role', { exact: true }).selectOption('agent');
	await owner.getByTestId('invite-submit').click();
	const link = await owner.getByTestId('invite-link').inputValue();
	expect(link).toMatch(/\/invite\/[a-z2-7]{40}$/);

	const agentContext = await browser.newContext();
	const agent = await agentContext.newPage();
	await ready(agent, link);
	await agent.getByTestId('invite-signup').click();
	await expect(agent.getByRole('heading', { name: `Join ${shop}` })).toBeVisible();
	await agent.locator('html[data-hydrated]').waitFor();
	await expect(agent.getByLabel('Shop or team name')).toHaveCount(0);
	const address = email('agent');
	await agent.getByLabel('Your name').fill('Somsri');
	await agent.getByLabel('E-mail').fill(address);
	await agent.getByLabel('Password').fill(password);
	await agent.getByTestId('signup-submit').click();
	await expect(agent).toHaveURL(inbox);
	await expect(agent.getByTestId('workspace-switcher')).toContainText(shop);
	const me = await (await agent.request.get('/api/v1/me')).json();
	expect(me.workspaces).toEqual([expect.objectContaining({ id: workspaceId, name: shop, role: 'agent' })]);

	await logOut(agent);
	await logIn(agent, address, password);
	await expect(agent).toHaveURL(inbox);
	await expect(agent.getByTestId('workspace-switcher')).toContainText(shop);

	// The link was used: a second visitor gets a clear page, not a sign-up form.
	const late = await browser.newPage();
	await late.goto(link);
	await expect(late.getByTestId('invite-invalid')).toBeVisible();
	await late.close();
	await ownerContext.close();
	await agentContext.close();
});

test('an invitation for one address joins only after that address is confirmed by the mailed link', async ({ browser }) => {
	const ownerContext = await browser.newContext();
	const owner = await ownerContext.newPage();
	const address = email('bound');
	const shop = `Bound Shop ${Math.random().toString(36).slice(2, 6)}`;
	const signup = await owner.request.post('/api/v1/auth/signup', { data: { email: email('boss'), password, name: 'Boss', workspaceName: shop } });
	const workspaceId: string = (await signup.json()).workspace.id;
	await ready(owner, `/w/${workspaceId}/settings/members`);
	await owner.getByLabel('Role', { exact: true }).selectOption('supervisor');
	await owner.getByLabel('Their e-mail').fill(address);
	await owner.getByTestId('invite-submit').click();
	await expect(owner.getByTestId('invite-delivery')).toHaveAttribute('data-delivery', 'sent');
	const invitation = await waitForMail(address, (m) => m.link?.includes('/invite/') === true);
	expect(invitation.subject).toBe(`Boss invited you to ${shop} on ChatMai`);

	const memberContext = await browser.newContext();
	const member = await memberContext.newPage();
	await ready(member, invitation.link!);
	await member.getByTestId('invite-signup').click();
	await member.locator('html[data-hydrated]').waitFor();
	await expect(member.getByLabel('E-mail')).toHaveValue(address);
	await member.getByLabel('Your name').fill('Malai');
	await member.getByLabel('Password').fill(password);
	await member.getByTestId('signup-submit').click();
	await expect(member.getByTestId('invite-verify-first')).toContainText(address);
	expect((await (await member.request.get('/api/v1/me')).json()).workspaces).toEqual([]);

	const verification = await waitForMail(address, (m) => m.link?.includes('/verify-email/') === true);
	await ready(member, verification.link!);
	await member.getByTestId('verify-submit').click();
	await expect(member).toHaveURL(`/w/${workspaceId}/inbox`);
	await expect(member.getByTestId('workspace-switcher')).toContainText(shop);
	await ownerContext.close();
	await memberContext.close();
});

test('a forgotten password is reset by the e-mailed link, which works once and logs out everywhere', async ({ page, browser, request }) => {
	const address = email('forgot');
	// Over the API, from a client of its own: this browser stays signed out.
	const signup = await request.post('/api/v1/auth/signup', { data: { email: address, password, name: 'Lek', workspaceName: 'Lek Store' } });
	expect(signup.status()).toBe(201);
	const elsewhere = await browser.newContext();
	const other = await elsewhere.newPage();
	await logIn(other, address, password);
	await expect(other).toHaveURL(/\/inbox/);

	await ready(page, '/login');
	await page.getByTestId('login-forgot').click();
	await expect(page).toHaveURL(/\/forgot-password$/);
	await page.locator('html[data-hydrated]').waitFor();
	await page.getByLabel('E-mail').fill(address);
	await page.getByTestId('forgot-submit').click();
	await expect(page.getByTestId('forgot-sent')).toContainText('If an account exists for this address');

	const mail = await waitForMail(address, (m) => m.subject === 'Reset your ChatMai password');
	expect(mail.link).toMatch(/\/reset-password\/[a-z2-7]{40}$/);
	const newPassword = 'a brand new secret';
	await ready(page, mail.link!);
	await page.getByLabel('New password', { exact: true }).fill(newPassword);
	await page.getByLabel('Repeat new password', { exact: true }).fill(newPassword);
	await page.getByTestId('reset-submit').click();
	await expect(page).toHaveURL(/\/login\?reset=1$/);
	await expect(page.getByTestId('login-reset-done')).toBeVisible();

	// The other browser was logged out by the reset.
	await other.reload();
	await expect(other).toHaveURL(/\/login/);
	await elsewhere.close();

	await logIn(page, address, password);
	await expect(page.getByTestId('form-message')).toContainText('Wrong e-mail or password');
	await logIn(page, address, newPassword);
	await expect(page).toHaveURL(/\/w\/[0-9a-f-]{36}\/inbox/);

	await page.goto(mail.link!);
	await expect(page.getByTestId('reset-invalid')).toBeVisible();
});

test('the demo agent logs in to Demo Shop, the only workspace they belong to', async ({ page }) => {
	await logIn(page, AGENT, DEMO_PASSWORD);
	await expect(page).toHaveURL(/\/w\/[0-9a-f-]{36}\/inbox/);
	await expect(page.getByTestId('workspace-switcher')).toContainText('Demo Shop');
	const me = await (await page.request.get('/api/v1/me')).json();
	expect(me.workspaces.map((w: { name: string }) => w.name)).toEqual(['Demo Shop']);
});

test('a used or unknown invitation link says so clearly in English and Thai', async ({ page }) => {
	await page.goto(`/invite/${'a'.repeat(40)}`);
	await expect(page.getByTestId('invite-invalid')).toContainText('This invitation cannot be used');
	await page.goto(`/signup?invitation=${'a'.repeat(40)}`);
	await expect(page.getByTestId('invite-invalid')).toBeVisible();
	await expect(page.getByTestId('signup-form')).toHaveCount(0);
	await ready(page, '/login');
	await page.getByTestId('language-th').click();
	await expect(page.locator('html')).toHaveAttribute('lang', 'th');
	await page.goto(`/invite/${'a'.repeat(40)}`);
	await expect(page.getByTestId('invite-invalid')).toContainText('ใช้คำเชิญนี้ไม่ได้');
});

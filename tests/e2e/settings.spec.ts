import { expect, test } from '@playwright/test';
import { signBody, signedWebhook, startFakePlatform, testCredentials } from '../fakes/platforms.ts';
import { AGENT, BASE, FAKE_PORTS, OWNER, PASSWORD, logIn } from './demo.ts';

/** The owner's API session in the demo workspace (agents also have a workspace of their own, where they land first). */
let owner: Promise<{ token: string; workspaceId: string }> | undefined;
function ownerApi(): Promise<{ token: string; workspaceId: string }> {
	owner ??= fetch(BASE + '/api/v1/auth/login', {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email: OWNER, password: PASSWORD })
	}).then((r) => r.json());
	return owner;
}
const demoWorkspace = async () => (await ownerApi()).workspaceId;

test.describe.configure({ mode: 'serial' });

test('an owner connects LINE in Settings, webhooks arrive at the URL shown, and Disconnect stops them', async ({ browser }) => {
	const { context, page } = await logIn(browser, OWNER);
	const name = `LINE OA ${Date.now().toString(36)}`;
	const credentials = testCredentials('line') as { channelSecret: string; channelAccessToken: string };
	// ChatMai checks the channel with LINE (bot info) before saving it: the bot user id comes from there.
	const botUserId = `U${crypto.randomUUID().replaceAll('-', '')}`;
	const line = await startFakePlatform('line', { port: FAKE_PORTS.line, accountId: botUserId });
	try {
		await page.goto(`/w/${await demoWorkspace()}/settings/connections`);
		await page.locator('html[data-hydrated]').waitFor();
		await page.locator('#connection-name').fill(name);
		await page.getByLabel('Channel secret').fill(credentials.channelSecret);
		await page.getByLabel('Channel access token').fill(credentials.channelAccessToken);
		await page.getByTestId('connect-submit').click();
		await expect(page.getByTestId('connect-message')).toBeVisible();

		const row = page.getByTestId('connection').filter({ hasText: name });
		await expect(row).toContainText('Connected');
		// The secrets never come back to the page; the webhook URL does.
		await expect(page.locator('body')).not.toContainText(credentials.channelSecret);
		const webhookUrl = await row.getByLabel('Webhook URL').inputValue();
		expect(webhookUrl).toMatch(new RegExp(`^${BASE}/webhooks/line/[0-9a-f-]{36}$`));

		const deliver = () => {
			const hook = signedWebhook('line', { event: { kind: 'message', text: 'สวัสดีค่ะ is this shop open?' }, credentials, webhookUrl, accountId: botUserId });
			return fetch(webhookUrl, { method: 'POST', headers: hook.headers, body: new Uint8Array(hook.body) }).then((r) => r.status);
		};
		expect(await deliver()).toBe(200);

		// The per-platform URLs of the one-URL-per-app platforms are shown to paste once.
		await expect(page.getByLabel('Shopee webhook URL')).toHaveValue(`${BASE}/webhooks/shopee`);
		await expect(page.getByLabel('Messenger webhook URL')).toHaveValue(`${BASE}/webhooks/facebook`);

		// A signed body our parser cannot read is kept, and the owner sees it counted.
		const unreadable = Buffer.from(JSON.stringify({ destination: botUserId, events: [{ type: 'message', mode: 'active', note: 'no id, no source' }] }));
		const quarantined = await fetch(webhookUrl, { method: 'POST', headers: signBody('line', unreadable, { credentials }), body: new Uint8Array(unreadable) });
		expect(quarantined.status).toBe(200);
		await page.reload();
		await expect(page.getByTestId('connections-quarantined')).toContainText(/events? we could not read/);

		page.once('dialog', (dialog) => dialog.accept());
		await row.getByRole('button', { name: `Disconnect ${name}` }).click();
		await expect(page.getByTestId('connections-message')).toContainText('The credentials were deleted');
		await expect(row).toContainText('Disconnected');
		await expect(row.getByLabel('Webhook URL')).toHaveCount(0);
		expect(await deliver()).toBe(410);
	} finally {
		await context.close();
		await line.close();
	}
});

test('an agent sees the connections but no form to add or remove one', async ({ browser }) => {
	const { context, page } = await logIn(browser, AGENT);
	try {
		const response = await page.goto(`/w/${await demoWorkspace()}/settings/connections`);
		expect(response?.status()).toBe(200);
		await page.locator('html[data-hydrated]').waitFor();
		await expect(page.getByRole('heading', { name: 'Connections', exact: true })).toBeVisible();
		await expect(page.getByTestId('connect-form')).toHaveCount(0);
		await expect(page.getByRole('button', { name: /^Disconnect/ })).toHaveCount(0);
	} finally {
		await context.close();
	}
});

test('an owner renames the workspace and moves it to another time zone; agents only read them', async ({ browser }) => {
	const login = await ownerApi();
	const workspaceId = login.workspaceId;
	const api = (method: string, body?: unknown) =>
		fetch(BASE + '/api/v1/workspace', {
			method,
			headers: { authorization: `Bearer ${login.token}`, 'x-workspace-id': workspaceId, 'content-type': 'application/json' },
			body: body === undefined ? undefined : JSON.stringify(body)
		}).then((r) => r.json());
	const before = (await api('GET')).workspace as { name: string; timeZone: string };
	const ownerPage = await logIn(browser, OWNER);
	const agent = await logIn(browser, AGENT);
	try {
		const page = ownerPage.page;
		await page.goto(`/w/${workspaceId}/settings/workspace`);
		await page.locator('html[data-hydrated]').waitFor();
		await page.getByLabel('Workspace name').fill('   ');
		await page.getByTestId('workspace-submit').click();
		await expect(page.getByText('Give the workspace a name of up to 120 characters.')).toBeVisible();

		await page.getByLabel('Workspace name').fill('Baan Suan Shop');
		await page.getByLabel('Time zone').selectOption('Asia/Tokyo');
		await page.getByTestId('workspace-submit').click();
		await expect(page.getByTestId('workspace-saved')).toContainText('Saved.');
		await expect(page.getByTestId('workspace-switcher')).toContainText('Baan Suan Shop');
		expect((await api('GET')).workspace).toMatchObject({ name: 'Baan Suan Shop', timeZone: 'Asia/Tokyo' });

		await agent.page.goto(`/w/${workspaceId}/settings/workspace`);
		await expect(agent.page.getByTestId('workspace-readonly')).toContainText('Baan Suan Shop');
		await expect(agent.page.getByTestId('workspace-readonly')).toContainText('Asia/Tokyo');
		await expect(agent.page.getByTestId('workspace-form')).toHaveCount(0);
	} finally {
		await api('PATCH', { name: before.name, timeZone: before.timeZone });
		await ownerPage.context.close();
		await agent.context.close();
	}
});

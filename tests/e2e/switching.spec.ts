import { expect, test, type Page } from '@playwright/test';
import { signedWebhook, startFakePlatform, uniqueAccountId, type FakePlatform } from '../fakes/platforms.ts';
import { BASE, PASSWORD, connectDemoShop, logIn, type DemoShop } from './demo.ts';

/**
 * Switching workspace is clean: a member of two shops switches back and forth twice, and no row,
 * notification or live document of one shop is ever shown under the other's name. A watcher in
 * the page checks every DOM change, not only the moments the test looks.
 */

interface Account {
	email: string;
	name: string;
	userId: string;
	workspaceId: string;
	workspaceName: string;
	token: string;
}

const rand = crypto.randomUUID().slice(0, 8);
const MARK = { demo: `DEMOMARK${rand}`, second: `SECONDMARK${rand}` };

async function call(method: string, path: string, token: string, body?: unknown, workspaceId?: string) {
	const res = await fetch(BASE + path, {
		method,
		headers: {
			authorization: `Bearer ${token}`,
			'content-type': 'application/json',
			...(workspaceId ? { 'x-workspace-id': workspaceId } : {})
		},
		body: body === undefined ? undefined : JSON.stringify(body)
	});
	const text = await res.text();
	return { status: res.status, json: text ? JSON.parse(text) : null };
}

async function signUp(name: string, workspaceName: string): Promise<Account> {
	const email = `${name.toLowerCase()}-${crypto.randomUUID().slice(0, 8)}@example.test`;
	const res = await fetch(BASE + '/api/v1/auth/signup', {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({ email, password: PASSWORD, name, workspaceName })
	});
	const json = await res.json();
	expect(res.status, JSON.stringify(json)).toBe(201);
	return { email, name, userId: json.user.id, workspaceId: json.workspace.id, workspaceName, token: json.token };
}

/** Accepts an invitation link as `account`, through the invitation page's form action. */
async function accept(url: string, account: Account): Promise<void> {
	const token = new URL(url).pathname.split('/').pop();
	const res = await fetch(`${BASE}/invite/${token}?/accept`, {
		method: 'POST',
		headers: { cookie: `chatmai_session=${account.token}`, origin: BASE, 'content-type': 'application/x-www-form-urlencoded' },
		body: '',
		redirect: 'manual'
	});
	expect([200, 303]).toContain(res.status);
}

/**
 * A fake Messenger page connected to `account`'s workspace; a customer writes `text` in through it.
 * (Messenger, not LINE: the e2e server sends every LINE call to Demo Shop's fake LINE.)
 */
async function customerWritesTo(account: Account, fake: FakePlatform, text: string): Promise<string> {
	const created = await call(
		'POST',
		'/api/v1/connections',
		account.token,
		{ platform: 'facebook', name: 'Second Page', externalId: fake.config.externalId, credentials: fake.credentials, settings: fake.config.settings, apiBaseUrl: fake.baseUrl },
		account.workspaceId
	);
	expect(created.status, JSON.stringify(created.json)).toBe(201);
	const customerId = '7' + String(Math.floor(Math.random() * 1e14)).padStart(14, '0');
	const hook = signedWebhook('facebook', { event: { kind: 'message', text, customerId }, webhookUrl: created.json.connection.webhookUrl, accountId: fake.config.externalId });
	expect((await fetch(created.json.connection.webhookUrl, { method: 'POST', headers: hook.headers, body: new Uint8Array(hook.body) })).status).toBe(200);
	for (let i = 0; i < 200; i++) {
		const list = await call('GET', `/api/v1/conversations?q=${encodeURIComponent(text)}`, account.token, undefined, account.workspaceId);
		const found = list.json?.items?.[0];
		if (found) return found.id;
		await new Promise((r) => setTimeout(r, 100));
	}
	throw new Error('the conversation did not arrive');
}

/** Records, on every DOM change, any text of one shop shown while the switcher names the other. */
function watchForBleed(page: Page, shops: { name: string; foreign: string }[]) {
	return page.addInitScript((shops) => {
		const w = window as unknown as { __bleed: string[] };
		w.__bleed = [];
		// Every text node of the page, shown or hidden (a closed panel counts), but not the data SvelteKit embeds in scripts.
		const texts = () => {
			const out: { text: string; where: string }[] = [];
			if (!document.body) return out;
			const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
			for (let n = walker.nextNode(); n; n = walker.nextNode()) {
				const parent = n.parentElement;
				if (!parent || parent.closest('script, style, template')) continue;
				out.push({ text: n.textContent ?? '', where: parent.closest('[data-testid]')?.getAttribute('data-testid') ?? parent.tagName });
			}
			return out;
		};
		const check = () => {
			const current = document.querySelector('[data-testid="workspace-switcher"] summary')?.textContent ?? '';
			for (const shop of shops) {
				if (!current.includes(shop.name)) continue;
				for (const { text, where } of texts()) if (text.includes(shop.foreign)) w.__bleed.push(`${shop.foreign} shown under ${shop.name} in ${where} at ${location.pathname}`);
			}
		};
		new MutationObserver(check).observe(document, { subtree: true, childList: true, characterData: true });
	}, shops);
}

async function switchTo(page: Page, workspace: { id: string; name: string }): Promise<void> {
	await page.getByTestId('workspace-switcher').locator('summary').click();
	await page.getByTestId('workspace-switcher').getByRole('link', { name: new RegExp(workspace.name) }).click();
	await expect(page).toHaveURL(new RegExp(`/w/${workspace.id}/inbox`));
	await expect(page.getByTestId('workspace-switcher').locator('summary')).toContainText(workspace.name);
}

/** The inbox shows `own` (its row, its notification) and nothing of `other`; no live document stays open. */
async function showsOnly(page: Page, own: string, other: string, openSockets: () => number): Promise<void> {
	const rows = page.getByTestId('conversation-row');
	await expect(rows.filter({ hasText: own })).toHaveCount(1);
	await expect(rows.filter({ hasText: other })).toHaveCount(0);
	await page.getByTestId('notifications-toggle').click();
	const notes = page.getByTestId('notification');
	await expect(notes.filter({ hasText: own })).toHaveCount(1);
	await expect(notes.filter({ hasText: other })).toHaveCount(0);
	await page.getByTestId('notifications-toggle').click();
	// One socket stays: this shop's live channel (the list, the bell); the previous shop's is closed.
	await expect.poll(openSockets, { message: 'live documents of the previous shop are closed' }).toBe(1);
}

test.describe('switching workspace', () => {
	let demo: DemoShop;
	let fake: FakePlatform;
	let member: Account;
	let helper: Account;

	test.beforeAll(async () => {
		demo = await connectDemoShop('line', 'Switching LINE');
		fake = await startFakePlatform('facebook', { accountId: uniqueAccountId('facebook') });
		// A member of two shops: their own, and Demo Shop as an agent.
		member = await signUp('Ploy', `Second Shop ${rand}`);
		const invite = await demo.rest('POST', '/api/v1/invitations', { role: 'agent' });
		expect(invite.status).toBe(201);
		await accept(invite.json.url, member);
		// Someone in the second shop to @mention them there.
		helper = await signUp('Krit', `Helper Shop ${rand}`);
		const second = await call('POST', '/api/v1/invitations', member.token, { role: 'agent' }, member.workspaceId);
		expect(second.status).toBe(201);
		await accept(second.json.url, helper);

		const demoConversation = await demo.customerWrites(`${MARK.demo} where is my parcel`);
		const secondConversation = await customerWritesTo(member, fake, `${MARK.second} do you ship to Chiang Mai`);
		const demoNote = await demo.rest('POST', `/api/v1/conversations/${demoConversation}/notes`, { body: `${MARK.demo} note @Ploy`, mentions: [member.userId] });
		expect(demoNote.status).toBe(201);
		const secondNote = await call(
			'POST',
			`/api/v1/conversations/${secondConversation}/notes`,
			helper.token,
			{ body: `${MARK.second} note @Ploy`, mentions: [member.userId] },
			member.workspaceId
		);
		expect(secondNote.status).toBe(201);
	});

	test.afterAll(async () => {
		await demo?.close();
		await fake?.close();
	});

	test('a member of two shops switches back and forth twice and never sees one shop under the other', async ({ browser }) => {
		const { context, page } = await logIn(browser, member.email);
		const demoShop = { id: demo.workspaceId, name: 'Demo Shop' };
		const secondShop = { id: member.workspaceId, name: member.workspaceName };
		await watchForBleed(page, [
			{ name: secondShop.name, foreign: MARK.demo },
			{ name: demoShop.name, foreign: MARK.second }
		]);
		const sockets = new Set<unknown>();
		page.on('websocket', (ws) => {
			if (!ws.url().includes('/collab')) return;
			sockets.add(ws);
			ws.on('close', () => sockets.delete(ws));
		});

		await page.goto(`/w/${demoShop.id}/inbox`);
		await page.locator('html[data-hydrated]').waitFor();
		await expect(page.getByTestId('workspace-switcher').locator('summary')).toContainText(demoShop.name);

		for (let round = 0; round < 2; round++) {
			await showsOnly(page, MARK.demo, MARK.second, () => sockets.size);
			// Open a live document and narrow the list: neither may follow the switch.
			await page.getByTestId('conversation-row').filter({ hasText: MARK.demo }).click();
			await expect(page.getByTestId('conversation-view')).toContainText(MARK.demo);
			await expect.poll(() => sockets.size).toBeGreaterThan(0);
			await page.getByTestId('inbox-search').fill(MARK.demo);

			await switchTo(page, secondShop);
			await expect(page.getByTestId('conversation-view')).toHaveCount(0);
			await expect(page.getByTestId('inbox-search')).toHaveValue('');
			await showsOnly(page, MARK.second, MARK.demo, () => sockets.size);
			await page.getByTestId('conversation-row').filter({ hasText: MARK.second }).click();
			await expect(page.getByTestId('conversation-view')).toContainText(MARK.second);
			await expect.poll(() => sockets.size).toBeGreaterThan(0);

			await switchTo(page, demoShop);
			await expect(page.getByTestId('conversation-view')).toHaveCount(0);
		}
		await showsOnly(page, MARK.demo, MARK.second, () => sockets.size);

		// A message pushed to this shop's list later: still nothing of the other shop.
		const later = `${MARK.demo} later ${Date.now()}`;
		await demo.customerWrites(later);
		await expect(page.getByTestId('conversation-list')).toContainText(later);
		const bleed = await page.evaluate(() => (window as unknown as { __bleed: string[] }).__bleed);
		expect(bleed).toEqual([]);
		await context.close();
	});
});

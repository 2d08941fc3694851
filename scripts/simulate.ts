/**
 * `npm run simulate`: brings the demo workspace to life. Against a running ChatMai it starts a fake
 * server for each platform (tests/fakes), connects them through the REST API (API calls pointed at
 * the fakes), then sends correctly signed webhooks at a steady pace — customers asking about their
 * orders in English and Thai — and prints every reply that reaches a fake platform.
 *
 *   npm run simulate -- [--url http://127.0.0.1:3000] [--email demo@chatmai.local] [--password chatmai-demo]
 *                       [--rate 0.5] [--platforms line,shopee,facebook] [--count 0]
 *
 * Env: CHATMAI_URL, CHATMAI_EMAIL, CHATMAI_PASSWORD. Ctrl-C stops it. The fakes live as long as the
 * simulator: replies sent after it stops fail (that is the platform being away).
 */
import { parseArgs } from 'node:util';
import { SAMPLE_ORDERS, signedWebhook, startFakePlatform, type FakePlatform, type RecordedRequest } from '../tests/fakes/platforms.ts';
import { PLATFORMS, type Platform } from '../src/lib/platforms.ts';

const ALL: readonly Platform[] = PLATFORMS;

const { values } = parseArgs({
	options: {
		url: { type: 'string', default: process.env.CHATMAI_URL ?? 'http://127.0.0.1:3000' },
		email: { type: 'string', default: process.env.CHATMAI_EMAIL ?? 'demo@chatmai.local' },
		password: { type: 'string', default: process.env.CHATMAI_PASSWORD ?? 'chatmai-demo' },
		rate: { type: 'string', default: '0.5' },
		platforms: { type: 'string', default: 'facebook,line,shopee,lazada,tiktok' },
		count: { type: 'string', default: '0' },
		help: { type: 'boolean', short: 'h', default: false }
	}
});

if (values.help) {
	console.log('npm run simulate -- [--url URL] [--email E] [--password P] [--rate PER_SECOND] [--platforms a,b] [--count N]');
	process.exit(0);
}

const base = values.url.replace(/\/$/, '');
const rate = Math.max(0.05, Math.min(200, Number(values.rate) || 0.5));
const limit = Math.max(0, Number(values.count) || 0);
const platforms = values.platforms.split(',').map((p) => p.trim()).filter((p): p is Platform => (ALL as readonly string[]).includes(p));
if (platforms.length === 0) fail(`--platforms: choose from ${ALL.join(', ')}`);

function fail(message: string): never {
	console.error(`simulate: ${message}`);
	process.exit(1);
}

async function api(method: string, path: string, token: string | null, body?: unknown) {
	let res: Response;
	try {
		res = await fetch(base + '/api/v1' + path, {
			method,
			headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
			body: body === undefined ? undefined : JSON.stringify(body)
		});
	} catch {
		fail(`cannot reach ChatMai at ${base} — start it with \`npm start\` first (or pass --url)`);
	}
	const json = (await res.json().catch(() => null)) as any;
	return { status: res.status, json };
}

// Customers: the shops' ones own the sample orders, so the orders panel has something to show.
const CUSTOMERS: Record<Platform, { id: string; name: string }[]> = {
	facebook: [
		{ id: '7012345678900101', name: 'Somsri Jaidee' },
		{ id: '7012345678900102', name: 'Emily Carter' }
	],
	instagram: [{ id: '6543210987650101', name: 'nong.praew' }],
	line: [
		{ id: 'U1a2b3c4d5e6f70809101112131415161', name: 'Kanya' },
		{ id: 'U2b3c4d5e6f7080910111213141516171', name: 'Tom' }
	],
	shopee: [{ id: SAMPLE_ORDERS[0].customerId, name: 'ploy_shop_lover' }, { id: SAMPLE_ORDERS[1].customerId, name: 'beam.bkk' }],
	lazada: [{ id: SAMPLE_ORDERS[0].customerId, name: 'Naree' }, { id: SAMPLE_ORDERS[1].customerId, name: 'Jake' }],
	tiktok: [{ id: SAMPLE_ORDERS[0].customerId, name: 'minnie_tt' }, { id: SAMPLE_ORDERS[1].customerId, name: 'arm.official' }]
};

const LINES = [
	'สวัสดีค่ะ สั่งของไปเมื่อวาน ตอนนี้ส่งหรือยังคะ',
	`Hi! Where is my order ${SAMPLE_ORDERS[0].id}? It says shipped but no tracking yet.`,
	'เสื้อยืดคอกลมมีไซส์ XL ไหมครับ',
	'Can I change the delivery address for my last order?',
	`ออเดอร์ ${SAMPLE_ORDERS[1].id} จะได้รับวันไหนคะ รีบใช้ค่ะ 🙏`,
	'Do you ship to Chiang Mai? How many days?',
	'ขอเลขพัสดุหน่อยค่ะ',
	'The bag arrived, thank you so much! ขอบคุณค่ะ',
	'มีโปรส่งฟรีไหมคะ ถ้าซื้อ 2 ชิ้น',
	'Is the blue cap back in stock?'
];

interface Running {
	fake: FakePlatform;
	connectionId: string;
	webhookUrl: string;
	seen: number;
}

async function connectPlatform(token: string, platform: Platform): Promise<Running> {
	const fake = await startFakePlatform(platform);
	const input = {
		platform,
		name: `Simulated ${platform}`,
		externalId: fake.config.externalId,
		credentials: fake.credentials,
		settings: fake.config.settings,
		apiBaseUrl: fake.baseUrl
	};
	let res = await api('POST', '/connections', token, input);
	if (res.status === 409) {
		// A connection from an earlier run points at a fake that is gone: replace it.
		const list = await api('GET', '/connections', token);
		const old = list.json?.connections?.find((c: any) => c.platform === platform && c.externalId === fake.config.externalId && c.status === 'active');
		if (old) await api('DELETE', `/connections/${old.id}`, token);
		res = await api('POST', '/connections', token, input);
	}
	if (res.status === 400 && res.json?.error?.code === 'custom_api_url_refused') {
		await fake.close();
		fail('this ChatMai runs in production mode, where connections cannot point at the fake platforms — start it with `NODE_ENV=test npm start` to simulate');
	}
	if (res.status !== 201) {
		await fake.close();
		fail(`connecting ${platform} failed (${res.status}): ${res.json?.error?.message ?? 'unknown error'}`);
	}
	// The URL to paste into the platform's console: one per platform app (/webhooks/<platform>), LINE's per channel.
	console.log(`  [${platform}] webhook URL ${res.json.connection.webhookUrl}`);
	return { fake, connectionId: res.json.connection.id, webhookUrl: res.json.connection.webhookUrl, seen: 0 };
}

/** The text of an outgoing message, whatever the platform's request shape. */
function replyText(request: RecordedRequest): string | null {
	const found: string[] = [];
	const visit = (value: unknown, key = ''): void => {
		if (typeof value === 'string') {
			if (['text', 'txt', 'content'].includes(key)) {
				try {
					visit(JSON.parse(value), key === 'content' ? '' : key);
				} catch {
					found.push(value);
				}
			}
			return;
		}
		if (Array.isArray(value)) value.forEach((v) => visit(v, key));
		else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) visit(v, k);
	};
	visit(request.json);
	if (found.length === 0) for (const [k, v] of Object.entries(request.form)) visit(v, k);
	return found.sort((a, b) => b.length - a.length)[0] ?? null;
}

const login = await api('POST', '/auth/login', null, { email: values.email, password: values.password });
if (login.status !== 200) fail(`login as ${values.email} failed (${login.status}): ${login.json?.error?.message ?? ''}`);
const token: string = login.json.token;

const running = new Map<Platform, Running>();
for (const platform of platforms) running.set(platform, await connectPlatform(token, platform));
console.log(`\nSimulating ${platforms.join(', ')} into ${base} at ${rate} webhook(s)/s. Reply from the inbox; replies appear here. Ctrl-C to stop.\n`);

let sent = 0;
let failed = 0;
let turn = 0;
const said = new Map<Platform, number>();
const timer = setInterval(async () => {
	if (limit && sent + failed >= limit) return stop();
	const platform = platforms[turn % platforms.length];
	const run = running.get(platform)!;
	const customers = CUSTOMERS[platform];
	const n = said.get(platform) ?? 0;
	said.set(platform, n + 1);
	const customer = customers[n % customers.length];
	const text = LINES[(n * 3 + platforms.indexOf(platform)) % LINES.length];
	turn += 1;
	const webhook = signedWebhook(platform, {
		event: { kind: 'message', text, customerId: customer.id, customerName: customer.name },
		credentials: run.fake.credentials,
		webhookUrl: run.webhookUrl,
		// The account the platform names in the payload: ChatMai files the event under its connection.
		accountId: run.fake.config.externalId
	});
	try {
		const res = await fetch(run.webhookUrl, { method: 'POST', headers: webhook.headers, body: new Uint8Array(webhook.body) });
		if (res.ok) {
			sent += 1;
			console.log(`→ [${platform}] ${customer.name}: ${text}`);
		} else {
			failed += 1;
			console.log(`✗ [${platform}] webhook answered ${res.status}`);
		}
	} catch (error) {
		failed += 1;
		console.log(`✗ [${platform}] ${(error as Error).message}`);
	}
}, 1000 / rate);

const replies = setInterval(() => {
	for (const [platform, run] of running) {
		const fresh = run.fake.requests.slice(run.seen);
		run.seen = run.fake.requests.length;
		for (const request of fresh) {
			if (request.method !== 'POST' || /revoke|oauth|token/i.test(request.path)) continue;
			const text = replyText(request);
			if (text) console.log(`← [${platform}] reply (${request.status ?? '?'}): ${text}`);
		}
	}
}, 250);

let stopping = false;
async function stop(): Promise<void> {
	if (stopping) return;
	stopping = true;
	clearInterval(timer);
	clearInterval(replies);
	await Promise.all([...running.values()].map((r) => r.fake.close()));
	console.log(`\nStopped: ${sent} webhook(s) delivered, ${failed} failed.`);
	process.exit(0);
}
process.on('SIGINT', () => void stop());
process.on('SIGTERM', () => void stop());

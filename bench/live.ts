import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as Y from 'yjs';
import { HocuspocusProvider, HocuspocusProviderWebsocket } from '@hocuspocus/provider';
import { migrate } from '../src/lib/server/migrate.ts';
import { parseFeedMessage, workspaceFeedName } from '../src/lib/live-feed.ts';
import { signedWebhook, testCredentials } from '../tests/fakes/platforms.ts';
import { percentile } from './_collab-clients.ts';
import { cpuTicks, stealBetween } from './_machine.ts';
import { scratchDatabase } from './_database.ts';

/**
 * Live bench (issue 13, item 2): how soon a customer's message reaches the conversation lists of
 * 50 connected agents, pushed over the workspace feed (`/collab`, `workspace:<uuid>`), beside
 * today's design measured in the same run: 50 clients polling `GET /conversations/changes` every
 * 3 s, as the inbox did. How soon one dashboard's customer-message figure counts each message
 * (it reads the figures on the feed's `report` hint). And the server's CPU per connected idle
 * agent, both ways.
 *
 * One real ChatMai server (server/index.ts, PostgreSQL, workers on) runs in a child process; the
 * agents and the webhook sender run here. Latency counts from the moment the webhook was
 * acknowledged (its commit) to the moment each agent's list holds the row carrying that message;
 * every message goes to its own customer, so one row is one message. Messages go out at a fixed
 * rate (open loop). Server CPU comes from /proc/<pid>/stat. Nothing here asserts a time.
 *
 * Env: BENCH_PG_URL (admin URL; a scratch database is created and dropped), BENCH_LIVE_SECONDS
 * (seconds of traffic per design, default 10), BENCH_LIVE_RATE (messages/s, default 100),
 * BENCH_LIVE_IDLE_SECONDS (default 20).
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const AGENTS = 50;
const POLL_MS = 3000;
const RATE = Number(process.env.BENCH_LIVE_RATE ?? 100);
const SECONDS = Number(process.env.BENCH_LIVE_SECONDS ?? 10);
const IDLE_SECONDS = Number(process.env.BENCH_LIVE_IDLE_SECONDS ?? 20);
/** After the last message: late deliveries still count (a poll may be 3 s away). */
const DRAIN_MS = POLL_MS + 2000;
const BENCH_ACCOUNT = 'Ubenchlive';
const CLOCK_TICKS = 100;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Sent {
	text: string;
	ackedAt: number;
}

/** One agent's list: when each message's row first reached it. */
type Arrivals = Map<string, number>;

interface Design {
	name: string;
	arrivals: Arrivals[];
	stop(): Promise<void> | void;
}

// ── The server ───────────────────────────────────────────────────────────────────────────────

async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return port;
}

/** The process's user + system CPU time so far, in ms. */
function processCpuMs(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}

async function stopChild(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null) return;
	const exited = new Promise((resolve) => child.once('exit', resolve));
	child.kill('SIGTERM');
	await Promise.race([exited, sleep(15_000)]);
	if (child.exitCode === null) child.kill('SIGKILL');
}

// ── The two designs ──────────────────────────────────────────────────────────────────────────

/** 50 agents on the workspace feed: rows arrive pushed. */
async function liveAgents(base: string, workspaceId: string, token: string): Promise<Design> {
	const url = base.replace(/^http/, 'ws') + '/collab';
	const arrivals: Arrivals[] = [];
	const providers: { provider: HocuspocusProvider; socket: HocuspocusProviderWebsocket }[] = [];
	await Promise.all(
		Array.from({ length: AGENTS }, async (_, i) => {
			const seen: Arrivals = new Map();
			arrivals[i] = seen;
			const socket = new HocuspocusProviderWebsocket({ url, maxDelay: 4000 });
			let ready!: () => void;
			const authenticated = new Promise<void>((resolve) => (ready = resolve));
			const provider = new HocuspocusProvider({
				websocketProvider: socket,
				name: workspaceFeedName(workspaceId),
				token,
				document: new Y.Doc(),
				onAuthenticated: () => ready(),
				onStateless: ({ payload }) => {
					const at = performance.now();
					const message = parseFeedMessage(payload);
					if (message?.type !== 'conversations') return;
					for (const row of message.items) if (!seen.has(row.lastMessagePreview)) seen.set(row.lastMessagePreview, at);
				}
			});
			provider.attach();
			providers.push({ provider, socket });
			await authenticated;
		})
	);
	return {
		name: 'pushed over the workspace feed',
		arrivals,
		stop: () => {
			for (const { provider, socket } of providers) {
				provider.destroy();
				socket.destroy();
			}
		}
	};
}

/** 50 clients polling the changes feed every 3 s, staggered as browsers opening at random times are. */
async function pollingAgents(base: string, token: string): Promise<Design> {
	const arrivals: Arrivals[] = [];
	const timers: ReturnType<typeof setTimeout>[] = [];
	let stopped = false;
	const headers = { authorization: `Bearer ${token}` };
	await Promise.all(
		Array.from({ length: AGENTS }, async (_, i) => {
			const seen: Arrivals = new Map();
			arrivals[i] = seen;
			let cursor = ((await fetch(`${base}/api/v1/conversations/changes`, { headers }).then((r) => r.json())) as { cursor: string }).cursor;
			const poll = async () => {
				if (stopped) return;
				try {
					for (let round = 0; round < 5; round++) {
						const page = (await fetch(`${base}/api/v1/conversations/changes?since=${encodeURIComponent(cursor)}`, { headers }).then((r) => r.json())) as {
							items: { lastMessagePreview: string }[];
							cursor: string;
							more: boolean;
						};
						const at = performance.now();
						cursor = page.cursor;
						for (const row of page.items) if (!seen.has(row.lastMessagePreview)) seen.set(row.lastMessagePreview, at);
						if (!page.more) break;
					}
				} catch {
					// counted as not arrived
				}
				if (!stopped) timers[i] = setTimeout(poll, POLL_MS);
			};
			timers[i] = setTimeout(poll, Math.random() * POLL_MS);
		})
	);
	return {
		name: 'polled every 3 s (the baseline)',
		arrivals,
		stop: () => {
			stopped = true;
			for (const timer of timers) clearTimeout(timer);
		}
	};
}

/**
 * One dashboard on the feed: on each `report` hint it reads the figures, as the page does, and
 * records when the customer-message count first reached each value.
 */
async function dashboard(base: string, workspaceId: string, token: string): Promise<{ reached: Map<number, number>; start: number; stop(): void }> {
	const url = base.replace(/^http/, 'ws') + '/collab';
	const headers = { authorization: `Bearer ${token}` };
	const read = async () => ((await fetch(`${base}/api/v1/reports/overview?period=today`, { headers }).then((r) => r.json())) as { totals: { customerMessages: number } }).totals.customerMessages;
	const start = await read();
	const reached = new Map<number, number>();
	let reading = false;
	let again = false;
	const refresh = async (): Promise<void> => {
		if (reading) {
			again = true;
			return;
		}
		reading = true;
		try {
			const count = await read();
			const at = performance.now();
			for (let n = start + 1; n <= count; n++) if (!reached.has(n)) reached.set(n, at);
		} finally {
			reading = false;
			if (again) {
				again = false;
				void refresh();
			}
		}
	};
	const socket = new HocuspocusProviderWebsocket({ url, maxDelay: 4000 });
	const provider = new HocuspocusProvider({
		websocketProvider: socket,
		name: workspaceFeedName(workspaceId),
		token,
		document: new Y.Doc(),
		onStateless: ({ payload }) => {
			if (parseFeedMessage(payload)?.type === 'report') void refresh();
		}
	});
	provider.attach();
	return {
		reached,
		start,
		stop: () => {
			provider.destroy();
			socket.destroy();
		}
	};
}

// ── Traffic ──────────────────────────────────────────────────────────────────────────────────

async function send(base: string, webhookUrl: string, label: string): Promise<Sent[]> {
	const credentials = testCredentials('line');
	const path = new URL(webhookUrl).pathname;
	const total = RATE * SECONDS;
	const sent: Sent[] = [];
	const pending: Promise<void>[] = [];
	const started = performance.now();
	for (let n = 0; n < total; n++) {
		const due = started + (n * 1000) / RATE;
		const wait = due - performance.now();
		if (wait > 0) await sleep(wait);
		const text = `${label} ${n}: where is my order?`;
		const customerId = `U${label.charCodeAt(0).toString(16)}${n.toString(16).padStart(31, '0')}`;
		const signed = signedWebhook('line', { event: { kind: 'message', text, customerId }, credentials, webhookUrl, accountId: BENCH_ACCOUNT });
		pending.push(
			fetch(base + path, { method: 'POST', headers: signed.headers, body: new Uint8Array(signed.body) }).then(async (res) => {
				await res.arrayBuffer();
				if (res.status === 200) sent.push({ text, ackedAt: performance.now() });
			})
		);
	}
	await Promise.all(pending);
	return sent;
}

function latencyLine(design: Design, sent: Sent[]): string {
	const latencies: number[] = [];
	let missing = 0;
	for (const list of design.arrivals) {
		for (const message of sent) {
			const at = list.get(message.text);
			if (at === undefined) missing++;
			// A push can beat the acknowledgement's own response: counted as 0.
			else latencies.push(Math.max(0, at - message.ackedAt));
		}
	}
	latencies.sort((a, b) => a - b);
	const f = (p: number) => percentile(latencies, p).toFixed(0).padStart(6);
	return `${design.name.padEnd(34)} p50 ${f(50)} ms   p99 ${f(99)} ms   max ${f(100)} ms   ${latencies.length} arrivals, ${missing} missing`;
}

async function idleCpu(pid: number): Promise<{ ms: number; steal: number }> {
	const ticks = cpuTicks();
	const before = processCpuMs(pid);
	await sleep(IDLE_SECONDS * 1000);
	return { ms: processCpuMs(pid) - before, steal: stealBetween(ticks, cpuTicks()) };
}

// ── Main ─────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
	const database = await scratchDatabase('live');
	const databaseUrl = database.url;
	const dataDir = mkdtempSync(join(tmpdir(), 'chatmai-bench-live-'));
	let server: ChildProcess | undefined;
	try {
		await migrate(databaseUrl);
		const port = await freePort();
		server = spawn(process.execPath, [join(ROOT, 'server/index.ts')], {
			cwd: ROOT,
			env: {
				...process.env,
				NODE_ENV: 'test',
				HOST: '127.0.0.1',
				PORT: String(port),
				DATABASE_URL: databaseUrl,
				CHATMAI_DATA_DIR: dataDir,
				CHATMAI_ENCRYPTION_KEYS: `bench:${randomBytes(32).toString('base64')}`,
				CHATMAI_SEED_DEMO: 'false',
				CHATMAI_SOCKETS_PER_IP: '1000',
				LOG_LEVEL: 'warn'
			},
			stdio: ['ignore', 'inherit', 'inherit']
		});
		const base = `http://127.0.0.1:${port}`;
		for (let i = 0; ; i++) {
			if (await fetch(`${base}/healthz`).then((r) => r.ok, () => false)) break;
			if (server.exitCode !== null || i > 600) throw new Error('the server did not start');
			await sleep(100);
		}
		const signup = (await fetch(`${base}/api/v1/auth/signup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ email: 'bench-live@example.test', password: 'correct horse battery', name: 'Bench', workspaceName: 'Bench Shop' })
		}).then((r) => r.json())) as { token: string; workspace: { id: string } };
		const created = (await fetch(`${base}/api/v1/connections`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: `Bearer ${signup.token}` },
			body: JSON.stringify({ platform: 'line', name: 'Bench OA', externalId: BENCH_ACCOUNT, credentials: testCredentials('line') })
		}).then((r) => r.json())) as { connection: { webhookUrl: string } };
		const { webhookUrl } = created.connection;
		console.log(`${AGENTS} agents, ${RATE} messages/s for ${SECONDS} s per design, one message per customer; latency from acknowledgement to the row in each agent's list`);

		// Warm-up: the first connections, queries and JIT are nobody's.
		await send(base, webhookUrl, 'w');
		await sleep(1000);

		const results: string[] = [];
		const cpu: string[] = [];
		const nobody = await idleCpu(server.pid!);

		const live = await liveAgents(base, signup.workspace.id, signup.token);
		await sleep(1000);
		const liveIdle = await idleCpu(server.pid!);
		const board = await dashboard(base, signup.workspace.id, signup.token);
		await sleep(500);
		const liveSent = await send(base, webhookUrl, 'l');
		await sleep(DRAIN_MS);
		results.push(latencyLine(live, liveSent));
		await live.stop();
		board.stop();
		// The n-th acknowledged message made the count start + n (they arrive in any order; the
		// figure counts them all, so the n-th acknowledgement is matched with the n-th count).
		const acks = liveSent.map((m) => m.ackedAt).sort((a, b) => a - b);
		const figure = acks.map((at, i) => (board.reached.get(board.start + i + 1) ?? NaN) - at).filter((ms) => !Number.isNaN(ms)).map((ms) => Math.max(0, ms)).sort((a, b) => a - b);
		results.push(
			`${'dashboard figure (1 dashboard)'.padEnd(34)} p50 ${percentile(figure, 50).toFixed(0).padStart(6)} ms   p99 ${percentile(figure, 99).toFixed(0).padStart(6)} ms   max ${percentile(figure, 100).toFixed(0).padStart(6)} ms   ${figure.length} of ${acks.length} counted`
		);
		await sleep(2000);

		const polling = await pollingAgents(base, signup.token);
		await sleep(POLL_MS);
		const pollIdle = await idleCpu(server.pid!);
		const pollSent = await send(base, webhookUrl, 'p');
		await sleep(DRAIN_MS);
		results.push(latencyLine(polling, pollSent));
		await polling.stop();

		console.log('\nwebhook acknowledged → row in each of 50 lists');
		for (const line of results) console.log(`  ${line}`);
		const perAgent = (m: { ms: number }) => ((m.ms - nobody.ms) / AGENTS / IDLE_SECONDS).toFixed(3);
		cpu.push(`no agent connected                 ${(nobody.ms / IDLE_SECONDS).toFixed(1).padStart(7)} ms CPU/s   (steal ${(nobody.steal * 100).toFixed(0)}%)`);
		cpu.push(`50 agents on the workspace feed    ${(liveIdle.ms / IDLE_SECONDS).toFixed(1).padStart(7)} ms CPU/s   ${perAgent(liveIdle)} ms CPU/s per agent   (steal ${(liveIdle.steal * 100).toFixed(0)}%)`);
		cpu.push(`50 agents polling every 3 s        ${(pollIdle.ms / IDLE_SECONDS).toFixed(1).padStart(7)} ms CPU/s   ${perAgent(pollIdle)} ms CPU/s per agent   (steal ${(pollIdle.steal * 100).toFixed(0)}%)`);
		console.log(`\nserver CPU while idle, ${IDLE_SECONDS} s each (per agent: above the no-agent figure)`);
		for (const line of cpu) console.log(`  ${line}`);
	} finally {
		if (server) await stopChild(server);
		rmSync(dataDir, { recursive: true, force: true });
		await database.drop();
	}
}

await main();
process.exit(0);

import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate } from '../src/lib/server/migrate.ts';
import { signedWebhook, startFakePlatform, testCredentials, type FakePlatform } from '../tests/fakes/platforms.ts';
import { cpuTicks, stealBetween } from './_machine.ts';
import { scratchDatabase } from './_database.ts';

/**
 * Ingest bench (issue 4, "Tests and benchmark"): sustained, correctly signed LINE webhooks into the
 * real ChatMai server on PostgreSQL, beside two floors measured in the same run:
 *
 *   1. a bare node:http server that only checks the signature and parses the body;
 *   2. PostgreSQL's own one-row-per-transaction insert rate.
 *
 * Prints acknowledged/s (closed loop, as fast as it goes, 64 in flight), ack p50/p99 at a fixed
 * 2,000/s (open loop, latency from the intended send time), the time until every acknowledged
 * webhook is a message row and in its live document, and lost / duplicated counts. Each server runs
 * in its own child process on loopback; the load comes from this one, through a minimal keep-alive
 * HTTP/1.1 client so that the generator is not what is measured. The fast runs are time-boxed
 * rounds, floor and ChatMai alternating after one warm-up round each; the median round is printed
 * and the headline ratio is the median of the per-round ratios, with each server's CPU time per
 * webhook (from /proc) beside it. Bounded in count and time; nothing here asserts a time.
 *
 * Env: BENCH_PG_URL (admin URL; a scratch database is created and dropped), BENCH_ROUND_SECONDS
 * (default 3), BENCH_ROUNDS (default 5), BENCH_NO_WORKERS=1 (acknowledge only: the route's own
 * ceiling), BENCH_DRAIN_LIMIT_MS, BENCH_SERVER_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof").
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 3);
/** Webhooks prepared per round: more than any server here answers in ROUND_SECONDS. */
const FLOOR_HOOKS = Math.ceil(ROUND_SECONDS * 40_000);
const INGEST_HOOKS = Math.ceil(ROUND_SECONDS * 16_000);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 5));
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 64);
const OPEN_RATE = 2_000;
const OPEN_SECONDS = 5;
const CUSTOMERS = 500;
const DRAIN_LIMIT_MS = Number(process.env.BENCH_DRAIN_LIMIT_MS ?? 180_000);
const PG_FLOOR_MS = 3_000;
const PG_FLOOR_CONNECTIONS = 8;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Webhook {
	/** The whole HTTP/1.1 request, serialized once in advance. */
	wire: Buffer;
	messageId: string;
}

function serialize(path: string, headers: Record<string, string>, body: Buffer): Buffer {
	const head = [`POST ${path} HTTP/1.1`, 'host: 127.0.0.1', 'connection: keep-alive', `content-length: ${body.length}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', ''].join('\r\n');
	return Buffer.concat([Buffer.from(head, 'latin1'), body]);
}

/**
 * One keep-alive connection speaking just enough HTTP/1.1 for this bench: it writes a prepared
 * request and reads the status and the body's length. A load generator this light leaves the CPU
 * to the servers it measures (node:http's own client costs several times as much per request).
 */
class RawConnection {
	readonly #socket: Socket;
	#buffer: Buffer = Buffer.alloc(0);
	#waiting: { resolve: (status: number) => void; reject: (error: Error) => void } | undefined;
	ready: Promise<void>;

	constructor(port: number) {
		this.#socket = connect({ host: '127.0.0.1', port });
		this.#socket.setNoDelay(true);
		this.ready = new Promise((resolve, reject) => {
			this.#socket.once('connect', () => resolve());
			this.#socket.once('error', reject);
		});
		this.#socket.on('data', (chunk: Buffer) => {
			this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
			this.#parse();
		});
		const fail = (error: Error) => {
			const waiting = this.#waiting;
			this.#waiting = undefined;
			waiting?.reject(error);
		};
		this.#socket.on('error', fail);
		this.#socket.on('close', () => fail(new Error('connection closed')));
	}

	/** False once the server closed it (e.g. its keep-alive timeout between rounds). */
	get open(): boolean {
		return !this.#socket.destroyed && this.#socket.readyState === 'open';
	}

	post(wire: Buffer): Promise<number> {
		if (!this.open) return Promise.reject(new Error('connection closed'));
		return new Promise((resolve, reject) => {
			this.#waiting = { resolve, reject };
			this.#socket.write(wire);
		});
	}

	#parse(): void {
		const end = this.#buffer.indexOf('\r\n\r\n');
		if (end === -1) return;
		const head = this.#buffer.toString('latin1', 0, end);
		const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
		if (this.#buffer.length < end + 4 + length) return;
		this.#buffer = this.#buffer.subarray(end + 4 + length);
		const waiting = this.#waiting;
		this.#waiting = undefined;
		waiting?.resolve(Number(head.slice(9, 12)));
	}

	close(): void {
		this.#socket.destroy();
	}
}

/** Keep-alive connections to one server, opened as needed and reused. */
class RawClient {
	readonly #port: number;
	readonly #idle: RawConnection[] = [];
	readonly #all: RawConnection[] = [];

	constructor(port: number) {
		this.#port = port;
	}

	async post(hook: Webhook): Promise<number> {
		let connection = this.#idle.pop();
		while (connection && !connection.open) connection = this.#idle.pop();
		const reused = connection !== undefined;
		if (!connection) connection = await this.#open();
		try {
			const status = await connection.post(hook.wire);
			this.#idle.push(connection);
			return status;
		} catch (error) {
			connection.close();
			// A kept-alive connection the server closed as this request went out (its keep-alive
			// timeout): sent again on a new one, as HTTP clients do. A webhook is idempotent.
			if (!reused) throw error;
			const fresh = await this.#open();
			const status = await fresh.post(hook.wire).catch((retryError) => {
				fresh.close();
				throw retryError;
			});
			this.#idle.push(fresh);
			return status;
		}
	}

	async #open(): Promise<RawConnection> {
		const connection = new RawConnection(this.#port);
		this.#all.push(connection);
		await connection.ready;
		return connection;
	}

	close(): void {
		for (const connection of this.#all) connection.close();
	}
}

const clients = new Map<number, RawClient>();
function post(port: number, hook: Webhook): Promise<number> {
	let client = clients.get(port);
	if (!client) clients.set(port, (client = new RawClient(port)));
	return client.post(hook);
}

function pct(sorted: number[], p: number): number {
	if (sorted.length === 0) return NaN;
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

interface RunResult {
	/** CPU time (user + system) the server process spent per acknowledged webhook, in µs; NaN where unknown. */
	cpuPerAck?: number;
	/** Share of the machine's CPU the hypervisor took meanwhile (/proc/stat). */
	steal?: number;
	sent: number;
	acked: number;
	ackedIds: string[];
	seconds: number;
	latencies: number[];
	statuses: Map<number, number>;
}

/** As fast as it goes: CONCURRENCY requests in flight. */
async function closedLoop(port: number, hooks: Webhook[], seconds = Infinity): Promise<RunResult> {
	let next = 0;
	const deadline = performance.now() + seconds * 1000;
	const latencies: number[] = [];
	const statuses = new Map<number, number>();
	const ackedIds: string[] = [];
	const started = performance.now();
	await Promise.all(
		Array.from({ length: CONCURRENCY }, async () => {
			while (next < hooks.length && performance.now() < deadline) {
				const hook = hooks[next++];
				const t = performance.now();
				const status = await post(port, hook).catch(() => 0);
				latencies.push(performance.now() - t);
				statuses.set(status, (statuses.get(status) ?? 0) + 1);
				if (status === 200) ackedIds.push(hook.messageId);
			}
		})
	);
	const elapsed = (performance.now() - started) / 1000;
	return { sent: next, acked: ackedIds.length, ackedIds, seconds: elapsed, latencies: latencies.sort((a, b) => a - b), statuses };
}

/** A fixed rate; each latency counts from the moment the request was due (no coordinated omission). */
async function openLoop(port: number, hooks: Webhook[], rate: number): Promise<RunResult> {
	const latencies: number[] = [];
	const statuses = new Map<number, number>();
	const ackedIds: string[] = [];
	const pending: Promise<void>[] = [];
	const started = performance.now();
	let i = 0;
	while (i < hooks.length) {
		const now = performance.now();
		while (i < hooks.length && started + (i * 1000) / rate <= now) {
			const due = started + (i * 1000) / rate;
			const hook = hooks[i++];
			pending.push(
				post(port, hook)
					.catch(() => 0)
					.then((status) => {
						latencies.push(performance.now() - due);
						statuses.set(status, (statuses.get(status) ?? 0) + 1);
						if (status === 200) ackedIds.push(hook.messageId);
					})
			);
		}
		await sleep(1);
	}
	await Promise.all(pending);
	const seconds = (performance.now() - started) / 1000;
	return { sent: hooks.length, acked: ackedIds.length, ackedIds, seconds, latencies: latencies.sort((a, b) => a - b), statuses };
}

/** The LINE bot user id of the bench's connection. */
const BENCH_ACCOUNT = 'Ubench';

function makeHooks(count: number, path: string, webhookUrl: string, label: string): Webhook[] {
	const credentials = testCredentials('line');
	return Array.from({ length: count }, (_, n) => {
		const customer = `U${(n % CUSTOMERS).toString(16).padStart(32, '0')}`;
		const signed = signedWebhook('line', {
			event: { kind: 'message', text: `${label} ${n}: สวัสดีค่ะ where is my order?`, customerId: customer },
			credentials,
			webhookUrl,
			// The bot user id the connection was made with: events are filed by LINE's `destination`.
			accountId: BENCH_ACCOUNT
		});
		const messageId = (signed.json as { events: { message: { id: string } }[] }).events[0].message.id;
		return { wire: serialize(path, signed.headers, signed.body), messageId };
	});
}

async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return port;
}

function waitForLine(child: ChildProcess, pattern: RegExp, what: string): Promise<RegExpMatchArray> {
	return new Promise((resolve, reject) => {
		let buffer = '';
		const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), 60_000);
		const onData = (chunk: Buffer) => {
			buffer += chunk.toString();
			const match = buffer.match(pattern);
			if (match) {
				clearTimeout(timer);
				child.stdout!.off('data', onData);
				child.stdout!.resume();
				resolve(match);
			}
		};
		child.stdout!.on('data', onData);
		child.once('exit', (code) => reject(new Error(`${what}: process exited with ${code}`)));
	});
}

async function stopChild(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null) return;
	const exited = new Promise((resolve) => child.once('exit', resolve));
	child.kill('SIGTERM');
	await Promise.race([exited, sleep(15_000)]);
	if (child.exitCode === null) child.kill('SIGKILL');
}

function report(label: string, run: RunResult): string {
	const bad = [...run.statuses].filter(([s]) => s !== 200).map(([s, n]) => `${n}×${s || 'error'}`);
	return `${label.padEnd(44)} ${(run.acked / run.seconds).toFixed(0).padStart(7)} acked/s   p50 ${pct(run.latencies, 50).toFixed(1).padStart(6)} ms   p99 ${pct(run.latencies, 99).toFixed(1).padStart(6)} ms${bad.length ? `   (${bad.join(', ')})` : ''}`;
}

// ── 1. PostgreSQL's one-row-per-transaction floor ─────────────────────────────────────────────

async function pgFloor(databaseUrl: string): Promise<number> {
	const pool = new pg.Pool({ connectionString: databaseUrl, max: PG_FLOOR_CONNECTIONS });
	await pool.query('create table bench_floor (id bigint generated always as identity primary key, connection_id uuid, event_id text, payload jsonb, unique (connection_id, event_id))');
	const connectionId = crypto.randomUUID();
	let count = 0;
	const deadline = performance.now() + PG_FLOOR_MS;
	const started = performance.now();
	await Promise.all(
		Array.from({ length: PG_FLOOR_CONNECTIONS }, async (_, w) => {
			let n = 0;
			while (performance.now() < deadline) {
				await pool.query('insert into bench_floor (connection_id, event_id, payload) values ($1, $2, $3) on conflict do nothing', [connectionId, `${w}-${n++}`, '{"text":"hello"}']);
				count++;
			}
		})
	);
	const rate = count / ((performance.now() - started) / 1000);
	await pool.query('drop table bench_floor');
	await pool.end();
	return rate;
}

// ── 2. The bare node:http floor ───────────────────────────────────────────────────────────────

/** Starts the floor server (a child process) and returns its port and a stop function. */
async function startFloor(): Promise<{ port: number; pid: number; stop: () => Promise<void> }> {
	const secret = (testCredentials('line') as { channelSecret: string }).channelSecret;
	const child = spawn(process.execPath, [join(ROOT, 'bench/_ingest-floor.ts')], { env: { ...process.env, FLOOR_SECRET: secret }, stdio: ['ignore', 'pipe', 'inherit'] });
	const [, port] = await waitForLine(child, /PORT (\d+)/, 'the floor server');
	return { port: Number(port), pid: child.pid!, stop: () => stopChild(child) };
}

/** The round whose rate is the median of `runs` (odd count), for its latencies as well. */
function median(runs: RunResult[]): RunResult {
	const sorted = [...runs].sort((a, b) => a.acked / a.seconds - b.acked / b.seconds);
	return sorted[Math.floor(sorted.length / 2)];
}

// ── 3. ChatMai ────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
	const database = await scratchDatabase('ingest');
	const databaseUrl = database.url;
	const dataDir = mkdtempSync(join(tmpdir(), 'chatmai-bench-'));
	let server: ChildProcess | undefined;
	let line: FakePlatform | undefined;
	const db = new pg.Pool({ connectionString: databaseUrl, max: 2 });
	try {
		await migrate(databaseUrl);
		console.log(`PostgreSQL ${(await db.query('show server_version')).rows[0].server_version}, synchronous_commit=${(await db.query('show synchronous_commit')).rows[0].synchronous_commit}, ${navigatorCpus()} CPUs`);

		const pgRate = await pgFloor(databaseUrl);

		const port = await freePort();
		// ChatMai checks a LINE channel with LINE (bot info) before connecting it, and reads customers' profiles.
		line = await startFakePlatform('line');
		server = spawn(process.execPath, [...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []), join(ROOT, 'server/index.ts')], {
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
				CHATMAI_SIGNUP_LIMIT_PER_HOUR: '1000',
				LOG_LEVEL: 'warn',
				CHATMAI_LINE_API_URL: line.baseUrl,
				...(process.env.BENCH_NO_WORKERS ? { CHATMAI_WORKERS: 'false' } : {})
			},
			stdio: ['ignore', 'pipe', 'inherit']
		});
		const ready = (async () => {
			for (let i = 0; i < 600; i++) {
				const ok = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.ok, () => false);
				if (ok) return;
				if (server!.exitCode !== null) throw new Error('the server exited');
				await sleep(100);
			}
			throw new Error('the server did not start');
		})();
		server.stdout!.resume();
		await ready;
		const base = `http://127.0.0.1:${port}`;
		const signup = await fetch(`${base}/api/v1/auth/signup`, {
			method: 'POST',
			headers: { 'content-type': 'application/json' },
			body: JSON.stringify({ email: 'bench@example.test', password: 'correct horse battery', name: 'Bench', workspaceName: 'Bench Shop' })
		}).then((r) => r.json() as Promise<{ token: string }>);
		const created = await fetch(`${base}/api/v1/connections`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', authorization: `Bearer ${signup.token}` },
			body: JSON.stringify({ platform: 'line', name: 'Bench OA', externalId: BENCH_ACCOUNT, credentials: testCredentials('line') })
		}).then((r) => r.json() as Promise<{ connection: { id: string; webhookUrl: string } }>);
		const { id: connectionId, webhookUrl } = created.connection;
		const path = new URL(webhookUrl).pathname;

		const openHooks = makeHooks(OPEN_RATE * OPEN_SECONDS, path, webhookUrl, 'open');
		const warmHooks = makeHooks(INGEST_HOOKS, path, webhookUrl, 'warm');
		const floorHooks = makeHooks(FLOOR_HOOKS, '/webhooks/line/floor', webhookUrl, 'floor');

		// Rounds alternate floor and ChatMai so that both see the same machine; each ChatMai round is
		// drained (persisted and mirrored) before the next floor round, which so runs on a quiet CPU.
		const floorServer = await startFloor();
		const floors: RunResult[] = [];
		const closedRuns: RunResult[] = [];
		const drains: { persistedMs: number | null; mirroredMs: number | null }[] = [];
		let expected = 0;
		let warmIds: string[] = [];
		try {
			// Warm-up: a whole round each, not counted, so that both run JIT-compiled code.
			await closedLoop(floorServer.port, floorHooks, ROUND_SECONDS);
			const warm = await closedLoop(port, warmHooks, ROUND_SECONDS);
			warmIds = warm.ackedIds;
			expected += warm.acked;
			await drained(db, connectionId, expected, performance.now());
			for (let round = 0; round < ROUNDS; round++) {
				floors.push(await measured(floorServer.pid, () => closedLoop(floorServer.port, floorHooks, ROUND_SECONDS)));
				const hooks = makeHooks(INGEST_HOOKS, path, webhookUrl, `closed${round}`);
				const started = performance.now();
				const run = await measured(server.pid!, () => closedLoop(port, hooks, ROUND_SECONDS));
				closedRuns.push(run);
				expected += run.acked;
				drains.push(await drained(db, connectionId, expected, started));
			}
		} finally {
			await floorServer.stop();
		}
		const floor = median(floors);
		const closed = median(closedRuns);
		const closedDrain = drains[closedRuns.indexOf(closed)];
		const open = await measured(server.pid!, () => openLoop(port, openHooks, OPEN_RATE));
		expected += openHooks.length;
		const openDrain = await drained(db, connectionId, expected, performance.now() - open.seconds * 1000);

		const acked = new Set([...warmIds, ...closedRuns.flatMap((r) => r.ackedIds), ...open.ackedIds]);
		const { rows } = await db.query<{ platform_message_id: string; mirrored: boolean }>(
			`select m.platform_message_id, q.message_id is null as mirrored
			   from messages m left join message_mirror_queue q on q.message_id = m.id where m.connection_id = $1`,
			[connectionId]
		);
		const stored = new Map<string, number>();
		for (const r of rows) stored.set(r.platform_message_id, (stored.get(r.platform_message_id) ?? 0) + 1);
		const lost = [...acked].filter((id) => !stored.has(id)).length;
		const duplicated = [...stored.values()].filter((n) => n > 1).length;
		const notInDocument = rows.filter((r) => !r.mirrored).length;

		const ingestRate = closed.acked / closed.seconds;
		// Each ChatMai round against the floor round just before it: slow drift of the machine
		// cancels out. The headline is the median of these ratios.
		const ratios = closedRuns.map((run, i) => run.acked / run.seconds / (floors[i].acked / floors[i].seconds)).sort((a, b) => a - b);
		const ratio = ratios[Math.floor(ratios.length / 2)];
		console.log('');
		console.log(`floor: PostgreSQL one row per transaction (${PG_FLOOR_CONNECTIONS} connections)  ${pgRate.toFixed(0).padStart(7)} rows/s`);
		console.log(report(`floor: bare node:http, verify + parse (c=${CONCURRENCY})`, floor) + `   [rounds: ${rates(floors)}; ${cpu(floors)}]`);
		console.log(report(`ChatMai webhooks, as fast as it goes (c=${CONCURRENCY})`, closed) + `   [rounds: ${rates(closedRuns)}; ${cpu(closedRuns)}]`);
		console.log(report(`ChatMai webhooks, open loop at ${OPEN_RATE}/s`, open) + `   [steal ${steal(open)}]`);
		console.log('');
		console.log(`ingest vs bare HTTP floor: ${(100 * ratio).toFixed(0)}%   (target ≥ 50%; median of ${ratios.length} paired rounds, each ${ratios.map((r) => (100 * r).toFixed(0)).join(' ')}%)`);
		console.log(`ingest vs one-row PostgreSQL: ${(ingestRate / pgRate).toFixed(1)}×   (group commit)`);
		console.log(`ack p99 at ${OPEN_RATE}/s: ${pct(open.latencies, 99).toFixed(1)} ms   (target < 50 ms)`);
		console.log(`all persisted and in their documents: ${fmt(closedDrain.persistedMs)} / ${fmt(closedDrain.mirroredMs)} after the median fast round began (${closed.acked} webhooks); ${fmt(openDrain.persistedMs)} / ${fmt(openDrain.mirroredMs)} after the ${OPEN_RATE}/s run began`);
		console.log(`lost: ${lost}   duplicated: ${duplicated}   not in their document: ${notInDocument}   (of ${acked.size} acknowledged)`);
	} finally {
		if (server) await stopChild(server);
		await line?.close();
		await db.end();
		rmSync(dataDir, { recursive: true, force: true });
		await database.drop();
		for (const client of clients.values()) client.close();
	}
}

function rates(runs: RunResult[]): string {
	return runs.map((r) => (r.acked / r.seconds).toFixed(0)).join(' ');
}

function cpu(runs: RunResult[]): string {
	const sorted = runs.map((r) => r.cpuPerAck ?? NaN).sort((a, b) => a - b);
	return `${sorted[Math.floor(sorted.length / 2)].toFixed(0)} µs of server CPU per webhook; steal ${runs.map((r) => steal(r)).join(' ')}`;
}

function steal(run: RunResult): string {
	return `${Math.round(100 * (run.steal ?? 0))}%`;
}

/** A process's CPU time so far in µs (Linux /proc; NaN elsewhere). */
function cpuMicros(pid: number): number {
	try {
		const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
		return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLOCK_TICKS;
	} catch {
		return NaN;
	}
}
const CLOCK_TICKS = 100;

async function measured(pid: number, run: () => Promise<RunResult>): Promise<RunResult> {
	const before = cpuMicros(pid);
	const ticks = cpuTicks();
	const result = await run();
	return { ...result, cpuPerAck: (cpuMicros(pid) - before) / result.acked, steal: stealBetween(ticks, cpuTicks()) };
}

function fmt(ms: number | null): string {
	return ms === null ? 'not within the limit' : `${(ms / 1000).toFixed(1)} s`;
}

function navigatorCpus(): number {
	return (globalThis.navigator as { hardwareConcurrency?: number } | undefined)?.hardwareConcurrency ?? 0;
}

/** Polls until `expected` messages are stored and mirrored; times from `since` (performance.now()). */
async function drained(db: pg.Pool, connectionId: string, expected: number, since: number): Promise<{ persistedMs: number | null; mirroredMs: number | null }> {
	let persistedMs: number | null = null;
	if (process.env.BENCH_NO_WORKERS) return { persistedMs, mirroredMs: null };
	const deadline = performance.now() + DRAIN_LIMIT_MS;
	while (performance.now() < deadline) {
		const { rows } = await db.query<{ total: number; unmirrored: number }>(
			`select count(*)::int as total, count(q.message_id)::int as unmirrored
			   from messages m left join message_mirror_queue q on q.message_id = m.id where m.connection_id = $1`,
			[connectionId]
		);
		if (persistedMs === null && rows[0].total >= expected) persistedMs = performance.now() - since;
		if (rows[0].total >= expected && rows[0].unmirrored === 0) return { persistedMs, mirroredMs: performance.now() - since };
		await sleep(50);
	}
	return { persistedMs, mirroredMs: null };
}

await main();

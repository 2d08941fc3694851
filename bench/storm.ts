import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { migrate } from '../src/lib/server/migrate.ts';
import { createPool } from '../src/lib/server/db.ts';
import { createSession } from '../src/lib/server/auth/session.ts';
import { conversationDocName } from '../src/lib/conversation-doc.ts';
import { RECONNECT, RECONNECT_BEFORE } from '../src/lib/collab-reconnect.ts';
import { issueCollabTicket } from '../src/lib/server/auth/collab-ticket.ts';
import { monotonicMs } from './_collab-clients.ts';
import { BODIES, MESSAGES_PER_DOC } from './_collab-shared.ts';
import { cpuTicks, stealBetween } from './_machine.ts';
import { scratchDatabase } from './_database.ts';

/**
 * Reconnect storm (issue 18): N agents, each a browser tab's provider with its own socket and
 * conversation document (5 agents per document, 50 messages each), spread over several agent
 * processes so the load generator is not the bottleneck. The collab server (bench/_storm-server.ts)
 * gets SIGTERM and is started again on the same database and port; the agents' providers come
 * back by themselves. Printed per run: time from the new process listening (healthy) to every
 * agent synced again, the server's CPU seconds per reconnect and its peak RSS, the statements it
 * sent PostgreSQL per reconnect, and what it sent the tabs back (a no-op merge sends nothing).
 *
 * Each agent count runs twice in the same run, the baseline first: `before` (no auth cache, the
 * previous reconnect settings: 1 s after a close, then 1–2 s, 1–4 s…) and `after` (auth cache, the
 * browser's current RECONNECT). Env: BENCH_STORM_AGENTS (default 1000,3000), BENCH_STORM_VARIANTS
 * (default before,after), BENCH_STORM_PROCESSES (agent processes, default 4), BENCH_STORM_REDIS
 * (a Redis URL: the server runs with extension-redis). Nothing here asserts a time.
 */

const COUNTS = (process.env.BENCH_STORM_AGENTS ?? '1000,3000').split(',').map(Number).filter((n) => n > 0);
const VARIANT_NAMES = (process.env.BENCH_STORM_VARIANTS ?? 'before,after').split(',');
const PROCESSES = Math.max(1, Number(process.env.BENCH_STORM_PROCESSES ?? 4));
const REDIS_URL = process.env.BENCH_STORM_REDIS ?? '';
const AGENTS_PER_DOC = 5;
const CONNECT_BATCH = 100;
const dir = fileURLToPath(new URL('.', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Variant {
	name: string;
	authCacheMs: number;
	reconnect: Record<string, number | boolean>;
}
const VARIANTS: Record<string, Variant> = {
	before: { name: 'before', authCacheMs: 0, reconnect: { ...RECONNECT_BEFORE } },
	after: { name: 'after', authCacheMs: 5000, reconnect: { ...RECONNECT } },
	'cache-only': { name: 'cache-only', authCacheMs: 5000, reconnect: { ...RECONNECT_BEFORE } },
	'jitter-only': { name: 'jitter-only', authCacheMs: 0, reconnect: { ...RECONNECT } }
};

// ── PostgreSQL fixture ──────────────────────────────────────────────────────────────────────────

interface Fixture {
	databaseUrl: string;
	agents: { name: string; sessionId: string }[];
	drop(): Promise<void>;
}

/** The key the bench server signs collab tickets with; agents present tickets, as browser pages do. */
const TICKET_SECRET = crypto.getRandomValues(new Uint8Array(32));

async function createFixture(agents: number): Promise<Fixture> {
	const { url: databaseUrl, drop } = await scratchDatabase('storm');
	try {
		await migrate(databaseUrl);
		const db = createPool({ connectionString: databaseUrl, max: 8, applicationName: 'chatmai-bench-seed' });
		try {
			const workspaceId = (await db.query(`insert into workspaces (name) values ('Storm shop') returning id`)).rows[0].id as string;
			const users = (
				await db.query<{ id: string }>(
					`insert into users (email, name, password_hash) select 'agent' || i || '@storm.test', 'Agent ' || i, 'x' from generate_series(1, $1::int) i returning id`,
					[agents]
				)
			).rows.map((r) => r.id);
			await db.query(`insert into memberships (workspace_id, user_id, role) select $1, unnest($2::uuid[]), 'agent'`, [workspaceId, users]);
			const sessions: string[] = new Array(users.length);
			for (let i = 0; i < users.length; i += 8) {
				await Promise.all(users.slice(i, i + 8).map(async (id, k) => (sessions[i + k] = (await createSession(db, id, workspaceId)).session.id)));
			}
			const connectionId = (
				await db.query(`insert into platform_connections (workspace_id, platform, name, external_id) values ($1, 'line', 'LINE', 'storm') returning id`, [workspaceId])
			).rows[0].id as string;
			const conversations = (
				await db.query<{ id: string }>(
					`with ct as (insert into contacts (workspace_id, display_name) select $1, 'Customer ' || i from generate_series(1, $3::int) i returning id),
					      ci as (insert into contact_identities (workspace_id, contact_id, connection_id, platform, external_id)
					             select $1, id, $2, 'line', gen_random_uuid()::text from ct returning id, contact_id)
					 insert into conversations (workspace_id, connection_id, contact_id, contact_identity_id, platform, external_thread_id)
					 select $1, $2, contact_id, id, 'line', gen_random_uuid()::text from ci returning id`,
					[workspaceId, connectionId, Math.ceil(agents / AGENTS_PER_DOC)]
				)
			).rows.map((r) => r.id);
			await db.query(
				`insert into messages (workspace_id, conversation_id, connection_id, direction, sender_type, author_id, body, delivery_state, sent_at)
				 select $1, c, $2,
				        case when i % 2 = 1 then 'out' else 'in' end, case when i % 2 = 1 then 'agent' else 'customer' end,
				        case when i % 2 = 1 then $4::uuid end, ($5::text[])[i], case when i % 2 = 1 then 'sent' end,
				        now() - make_interval(secs => $6::int + 1 - i)
				   from unnest($3::uuid[]) c, generate_series(1, $6::int) i`,
				[workspaceId, connectionId, conversations, users[0], BODIES, MESSAGES_PER_DOC]
			);
			return {
				databaseUrl,
				agents: sessions.map((sessionId, i) => ({ sessionId, name: conversationDocName(conversations[i % conversations.length]) })),
				drop
			};
		} finally {
			await db.end();
		}
	} catch (error) {
		await drop();
		throw error;
	}
}

// ── processes ───────────────────────────────────────────────────────────────────────────────────

interface Server {
	process: ChildProcess;
	healthyAt: Promise<number>;
	lines: string[];
}

function startServer(databaseUrl: string, port: number, variant: Variant): Server {
	const child = spawn(process.execPath, [`${dir}_storm-server.ts`, databaseUrl, String(port), String(variant.authCacheMs), Buffer.from(TICKET_SECRET).toString('hex'), REDIS_URL], {
		stdio: ['ignore', 'pipe', 'inherit']
	});
	const lines: string[] = [];
	const healthyAt = new Promise<number>((resolve, reject) => {
		let buffer = '';
		child.stdout!.setEncoding('utf8').on('data', (chunk: string) => {
			buffer += chunk;
			const parts = buffer.split('\n');
			buffer = parts.pop()!;
			for (const line of parts) {
				lines.push(line);
				if (line.includes('"healthy"')) resolve(JSON.parse(line).at);
			}
		});
		child.once('exit', (code) => reject(new Error(`storm server exited with ${code}`)));
	});
	healthyAt.catch(() => undefined);
	return { process: child, healthyAt, lines };
}

async function stopServer(server: Server): Promise<void> {
	if (server.process.exitCode !== null) return;
	const exited = new Promise((resolve) => server.process.once('exit', resolve));
	server.process.kill('SIGTERM');
	await exited;
}

/** utime + stime of a process, in seconds. */
function cpuSeconds(pid: number): number {
	const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** Peak resident set size of a process, in MiB. */
function peakRssMiB(pid: number): number {
	const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
	return match ? Number(match[1]) / 1024 : NaN;
}

function request<T>(child: ChildProcess, message: unknown, reply: string): Promise<T> {
	return new Promise((resolve) => {
		const onMessage = (m: { type?: string }) => {
			if (m?.type !== reply) return;
			child.off('message', onMessage);
			resolve(m as T);
		};
		child.on('message', onMessage);
		child.send(message as object);
	});
}

async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise((resolve) => server.close(resolve));
	return port;
}

// ── one run ─────────────────────────────────────────────────────────────────────────────────────

interface Result {
	agents: number;
	variant: string;
	syncedAfterHealthyS: number;
	p50S: number;
	stopS: number;
	cpuPerReconnectMs: number;
	peakRssMiB: number;
	statementsPerReconnect: number;
	updatesBack: number;
	bytesBack: number;
	steal: number;
}

async function run(fixture: Fixture, count: number, variant: Variant): Promise<Result> {
	const db = new pg.Client({ connectionString: fixture.databaseUrl });
	await db.connect();
	await db.query('truncate collab_documents');
	await db.end();
	const port = await freePort();
	let server = startServer(fixture.databaseUrl, port, variant);
	await server.healthyAt;
	// A ticket per agent (valid 5 minutes, longer than a run), kept for its reconnect.
	const agents = fixture.agents.slice(0, count).map((a) => ({ name: a.name, token: issueCollabTicket(TICKET_SECRET, a.sessionId).ticket }));
	const children = Array.from({ length: PROCESSES }, () => fork(`${dir}_storm-agents.ts`, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
	try {
		const shares = children.map((_, p) => agents.filter((_, i) => i % PROCESSES === p));
		const connected = await Promise.all(
			children.map((child, p) =>
				request<{ failed: number }>(child, { type: 'connect', port, agents: shares[p], reconnect: variant.reconnect, batch: CONNECT_BATCH }, 'connected')
			)
		);
		const failed = connected.reduce((sum, c) => sum + c.failed, 0);
		if (failed) throw new Error(`${failed} agents failed to connect`);
		// Let the first loads' stores land (2 s debounce), as on a server that has been up a while.
		await sleep(3000);
		await Promise.all(children.map((child) => request(child, { type: 'watch' }, 'watching')));

		const stopStart = monotonicMs();
		await stopServer(server);
		const stopS = (monotonicMs() - stopStart) / 1000;
		server = startServer(fixture.databaseUrl, port, variant);
		const healthyAt = await server.healthyAt;
		const ticks = cpuTicks();
		const cpuAtHealthy = cpuSeconds(server.process.pid!);
		const replies = await Promise.all(
			children.map((child) => request<{ times: number[]; updates: number; bytes: number }>(child, { type: 'await-resync' }, 'resynced'))
		);
		const cpu = cpuSeconds(server.process.pid!) - cpuAtHealthy;
		const steal = stealBetween(ticks, cpuTicks());
		const rss = peakRssMiB(server.process.pid!);
		const statements = await new Promise<number>((resolve) => {
			const before = server.lines.length;
			server.process.kill('SIGUSR2');
			const poll = setInterval(() => {
				const line = server.lines.slice(before).find((l) => l.includes('"statements"'));
				if (line) {
					clearInterval(poll);
					resolve(JSON.parse(line).statements);
				}
			}, 20);
		});
		const times = replies.flatMap((r) => r.times).map((t) => t - healthyAt).sort((a, b) => a - b);
		return {
			agents: count,
			variant: variant.name,
			syncedAfterHealthyS: times[times.length - 1] / 1000,
			p50S: times[Math.floor(times.length / 2)] / 1000,
			stopS,
			cpuPerReconnectMs: (cpu / count) * 1000,
			peakRssMiB: rss,
			statementsPerReconnect: statements / count,
			updatesBack: replies.reduce((sum, r) => sum + r.updates, 0),
			bytesBack: replies.reduce((sum, r) => sum + r.bytes, 0),
			steal
		};
	} finally {
		for (const child of children) child.send('close');
		await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)));
		await stopServer(server);
	}
}

// ── main ────────────────────────────────────────────────────────────────────────────────────────

const variants = VARIANT_NAMES.map((name) => {
	const variant = VARIANTS[name];
	if (!variant) throw new Error(`unknown variant ${name}: one of ${Object.keys(VARIANTS).join(', ')}`);
	return variant;
});
console.log(`storm: agents ${COUNTS.join(', ')}; variants ${variants.map((v) => v.name).join(', ')}; ${PROCESSES} agent processes${REDIS_URL ? '; Redis' : ''}`);
const fixture = await createFixture(Math.max(...COUNTS));
const results: Result[] = [];
try {
	for (const count of COUNTS) {
		for (const variant of variants) {
			const result = await run(fixture, count, variant);
			results.push(result);
			console.log(
				`${String(count).padStart(5)} agents  ${variant.name.padEnd(11)}  all synced ${result.syncedAfterHealthyS.toFixed(2)} s after healthy (median ${result.p50S.toFixed(2)} s)` +
					`  stop ${result.stopS.toFixed(2)} s  CPU ${result.cpuPerReconnectMs.toFixed(2)} ms/reconnect  peak RSS ${result.peakRssMiB.toFixed(0)} MiB` +
					`  ${result.statementsPerReconnect.toFixed(2)} statements/reconnect  sent back ${result.updatesBack} updates (${result.bytesBack} B)  steal ${(result.steal * 100).toFixed(0)}%`
			);
		}
	}
} finally {
	await fixture.drop();
}
console.log('\n| agents | variant | all synced after healthy | median | server CPU per reconnect | peak RSS | statements per reconnect | updates sent back |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of results) {
	console.log(
		`| ${r.agents} | ${r.variant} | ${r.syncedAfterHealthyS.toFixed(2)} s | ${r.p50S.toFixed(2)} s | ${r.cpuPerReconnectMs.toFixed(2)} ms | ${r.peakRssMiB.toFixed(0)} MiB | ${r.statementsPerReconnect.toFixed(2)} | ${r.updatesBack} |`
	);
}
process.exit(0);

import pg from 'pg';
import { migrate } from '../src/lib/server/migrate.ts';
import { listConversations, type ListQuery } from '../src/lib/server/conversations.ts';
import { scopeFor } from '../src/lib/server/scope.ts';
import type { Principal } from '../src/lib/server/auth/principal.ts';
import { scratchDatabase } from './_database.ts';

/**
 * `npm run bench clocks`: the inbox list with the platforms' clocks (src/lib/server/clocks.ts) over
 * 100,000 conversations and 1,000,000 messages in one workspace, on a scratch database. Prints the
 * p50 / p95 of each list query, and the newest-first page again without the index the clocks read
 * the messages through (messages_history_idx) as the baseline. Nothing here asserts a time.
 *
 * BENCH_CONVERSATIONS (default 100000) scales it; messages are 10 per conversation.
 */

const CONVERSATIONS = Number(process.env.BENCH_CONVERSATIONS ?? 100_000);
const RUNS = 30;
const PLATFORMS = ['facebook', 'instagram', 'line', 'shopee', 'lazada', 'tiktok'];

async function seed(db: pg.Pool): Promise<{ workspaceId: string; userId: string }> {
	const user = await db.query(`insert into users (email, name, password_hash) values ('bench@example.test', 'Bench', 'x') returning id`);
	const ws = await db.query(`insert into workspaces (name, time_zone) values ('Bench Shop', 'Asia/Bangkok') returning id`);
	const workspaceId = ws.rows[0].id as string;
	const userId = user.rows[0].id as string;
	await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, 'owner')`, [workspaceId, userId]);
	const connections: string[] = [];
	for (const platform of PLATFORMS) {
		const { rows } = await db.query(`insert into platform_connections (workspace_id, platform, name, external_id) values ($1, $2, $2, $2) returning id`, [workspaceId, platform]);
		connections.push(rows[0].id);
	}
	const n = CONVERSATIONS;
	await db.query(`insert into contacts (id, workspace_id, display_name) select md5('c' || i)::uuid, $1, 'Customer ' || i from generate_series(1, $2::int) i`, [workspaceId, n]);
	await db.query(
		`insert into contact_identities (id, workspace_id, contact_id, connection_id, platform, external_id)
		 select md5('ci' || i)::uuid, $1, md5('c' || i)::uuid, ($2::uuid[])[1 + i % 6], ($3::text[])[1 + i % 6], 'ext' || i from generate_series(1, $4::int) i`,
		[workspaceId, connections, PLATFORMS, n]
	);
	// A conversation every 25 seconds back from now; one in five resolved; one in three ends with the customer waiting.
	await db.query(
		`insert into conversations (id, workspace_id, connection_id, contact_id, contact_identity_id, platform, external_thread_id, status,
		   last_message_at, last_customer_message_at, message_count)
		 select md5('cv' || i)::uuid, $1, ($2::uuid[])[1 + i % 6], md5('c' || i)::uuid, md5('ci' || i)::uuid, ($3::text[])[1 + i % 6], 'ext' || i,
		        case when i % 5 = 0 then 'resolved' else 'open' end,
		        now() - make_interval(secs => i * 25), now() - make_interval(secs => i * 25 + case when i % 3 = 0 then 0 else 60 end), 10
		   from generate_series(1, $4::int) i`,
		[workspaceId, connections, PLATFORMS, n]
	);
	// Ten messages each, a minute apart: customer, answer, customer, …; one answer in five an auto-reply.
	await db.query(
		`insert into messages (workspace_id, conversation_id, connection_id, direction, sender_type, delivery_state, body, sent_at)
		 select $1, md5('cv' || i)::uuid, ($2::uuid[])[1 + i % 6],
		        case when k % 2 = 1 or (k = 10 and i % 3 = 0) then 'in' else 'out' end,
		        case when k % 2 = 1 or (k = 10 and i % 3 = 0) then 'customer' when (i + k) % 5 = 0 then 'system' else 'agent' end,
		        case when k % 2 = 1 or (k = 10 and i % 3 = 0) then null else 'sent' end,
		        'message ' || k, now() - make_interval(secs => i * 25 + (10 - k) * 60)
		   from generate_series(1, $3::int) i, generate_series(1, 10) k`,
		[workspaceId, connections, n]
	);
	await db.query('analyze');
	return { workspaceId, userId };
}

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function measure(label: string, runs: number, fn: () => Promise<unknown>): Promise<void> {
	await fn();
	const times: number[] = [];
	for (let i = 0; i < runs; i++) {
		const start = performance.now();
		await fn();
		times.push(performance.now() - start);
	}
	times.sort((a, b) => a - b);
	console.log(`${label.padEnd(58)} p50 ${percentile(times, 50).toFixed(1).padStart(8)} ms   p95 ${percentile(times, 95).toFixed(1).padStart(8)} ms   (${runs} runs)`);
}

async function main(): Promise<void> {
	const database = await scratchDatabase('clocks');
	const db = new pg.Pool({ connectionString: database.url, max: 2 });
	try {
		await migrate(database.url);
		const seeded = performance.now();
		const { workspaceId, userId } = await seed(db);
		console.log(`seeded ${CONVERSATIONS.toLocaleString('en')} conversations, ${(CONVERSATIONS * 10).toLocaleString('en')} messages in ${((performance.now() - seeded) / 1000).toFixed(0)} s`);
		const principal: Principal = { kind: 'session', userId, email: 'bench@example.test', name: 'Bench', locale: 'en', credentialId: 's', workspaceId };
		const scope = await scopeFor(db, principal, workspaceId);
		const list = (query: ListQuery) => () => listConversations(db, scope, query);

		await measure('newest first, page 1 (each row with its clock)', RUNS, list({}));
		const page1 = await listConversations(db, scope, { limit: 30 });
		await measure('newest first, page 2 (keyset cursor)', RUNS, list({ cursor: page1.nextCursor ?? undefined }));
		await measure('due soon, page 1', RUNS, list({ sort: 'due' }));
		const due1 = await listConversations(db, scope, { sort: 'due' });
		await measure('due soon, page 2 (keyset cursor)', RUNS, list({ sort: 'due', cursor: due1.nextCursor ?? undefined }));
		await measure('due soon, Shopee only', RUNS, list({ sort: 'due', platform: 'shopee' }));
		await measure('due soon, open only', RUNS, list({ sort: 'due', status: 'open' }));

		console.log('baseline: the same queries without messages_history_idx');
		await db.query('drop index messages_history_idx');
		await db.query('analyze messages');
		await measure('newest first, page 1, no index', 5, list({}));
		// The due sort without it reads every conversation's messages by a scan: minutes at this size, not run.
	} finally {
		await db.end();
		await database.drop();
	}
}

await main();

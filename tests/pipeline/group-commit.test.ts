import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type pg from 'pg';
import { GroupCommitter, type InboundRow } from '../../connectors/pipeline/group-commit.ts';
import type { Queryable } from '../../src/lib/server/db.ts';
import { testPool } from '../helpers/db.ts';
import { seedWorkspace } from '../helpers/seed.ts';

/** Group commit of webhook rows (connectors/pipeline/group-commit.ts) on the real PostgreSQL. */

let pool: pg.Pool;
let ws: { workspaceId: string; connectionId: string };

beforeAll(async () => {
	pool = testPool(4);
	ws = await seedWorkspace(pool);
});
afterAll(() => pool.end());

function row(eventId: string, payloadJson = JSON.stringify({ type: 'message', eventId }), connectionId = ws.connectionId): InboundRow {
	return { workspaceId: ws.workspaceId, connectionId, platform: 'line', eventId, kind: 'message', payloadJson };
}

/** Counts the statements that reach the pool. */
function counting(db: pg.Pool): Queryable & { statements: number } {
	const counted = {
		statements: 0,
		query(...args: unknown[]) {
			counted.statements += 1;
			return (db.query as (...a: unknown[]) => Promise<pg.QueryResult>)(...args);
		}
	};
	return counted as unknown as Queryable & { statements: number };
}

async function stored(eventIds: string[]): Promise<string[]> {
	const { rows } = await pool.query<{ event_id: string }>('select event_id from inbound_events where connection_id = $1 and event_id = any($2) order by event_id', [ws.connectionId, eventIds]);
	return rows.map((r) => r.event_id);
}

describe('GroupCommitter', () => {
	it('writes many concurrent requests in a few prepared statements, each settled after its commit', async () => {
		const db = counting(pool);
		let committed = 0;
		const committer = new GroupCommitter({ db, maxInFlight: 1, prepared: true, onCommit: (n) => (committed += n) });
		const ids = Array.from({ length: 60 }, (_, i) => `gc-many-${crypto.randomUUID()}-${i}`);
		await Promise.all(ids.map((id) => committer.add([row(id)])));
		expect(await stored(ids)).toEqual([...ids].sort());
		expect(committed).toBe(60);
		// The first request goes alone; the other 59 wait for it and go together.
		expect(db.statements).toBeLessThanOrEqual(3);
	});

	it('skips a redelivered row without an error', async () => {
		const committer = new GroupCommitter({ db: pool, prepared: true });
		const id = `gc-dup-${crypto.randomUUID()}`;
		await committer.add([row(id)]);
		await Promise.all([committer.add([row(id)]), committer.add([row(id)])]);
		expect(await stored([id])).toEqual([id]);
	});

	it("fails only the request whose row the database refuses, not its neighbours'", async () => {
		const committer = new GroupCommitter({ db: pool, maxInFlight: 1, prepared: true });
		const good = [`gc-good-${crypto.randomUUID()}`, `gc-good-${crypto.randomUUID()}`];
		const bad = `gc-bad-${crypto.randomUUID()}`;
		const blocker = committer.add([row(`gc-first-${crypto.randomUUID()}`)]);
		const results = await Promise.allSettled([committer.add([row(good[0])]), committer.add([row(bad, '{not json')]), committer.add([row(good[1])])]);
		await blocker;
		expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
		expect(await stored([...good, bad])).toEqual([...good].sort());
	});

	it('stores nothing for a connection that was disconnected', async () => {
		const other = await seedWorkspace(pool);
		await pool.query(`update platform_connections set status = 'disconnected' where id = $1`, [other.connectionId]);
		const committer = new GroupCommitter({ db: pool, prepared: true });
		const id = `gc-gone-${crypto.randomUUID()}`;
		await committer.add([{ ...row(id, undefined, other.connectionId), workspaceId: other.workspaceId }]);
		const { rowCount } = await pool.query('select 1 from inbound_events where connection_id = $1', [other.connectionId]);
		expect(rowCount).toBe(0);
	});

	it("takes a deleted connection's events with it, as the foreign key it replaces did", async () => {
		const other = await seedWorkspace(pool);
		const committer = new GroupCommitter({ db: pool, prepared: true });
		const id = `gc-del-${crypto.randomUUID()}`;
		await committer.add([{ ...row(id, undefined, other.connectionId), workspaceId: other.workspaceId }]);
		const count = async () => (await pool.query('select 1 from inbound_events where connection_id = $1', [other.connectionId])).rowCount;
		expect(await count()).toBe(1);
		await pool.query('delete from platform_connections where id = $1', [other.connectionId]);
		expect(await count()).toBe(0);
	});

	it("refuses a row whose workspace is not its connection's", async () => {
		const other = await seedWorkspace(pool);
		const committer = new GroupCommitter({ db: pool, prepared: true });
		const id = `gc-cross-${crypto.randomUUID()}`;
		await committer.add([{ ...row(id), workspaceId: other.workspaceId }]);
		expect(await stored([id])).toEqual([]);
	});
});

import { afterAll, describe, expect, it } from 'vitest';
import { testPool } from '../helpers/db.ts';
import { seedConversation, seedWorkspace } from '../helpers/seed.ts';
import { createSession } from '../../src/lib/server/auth/session.ts';
import { authenticate } from '../../src/lib/server/auth/principal.ts';
import { scopeFor } from '../../src/lib/server/scope.ts';
import { changesCursor, listConversationChanges } from '../../src/lib/server/conversations.ts';
import { waitFor } from '../collab/helpers.ts';

/**
 * The changes feed's cursor never skips a row committed late (issue 13, item 1): a transaction
 * that started first and commits last used to write an `updated_at` older than a cursor already
 * handed out for a transaction that committed in between.
 */

const db = testPool();
afterAll(() => db.end());

async function memberScope() {
	const ws = await seedWorkspace(db, 'agent');
	const { token } = await createSession(db, ws.userId, ws.workspaceId);
	const principal = await authenticate(db, token);
	return { ws, scope: await scopeFor(db, principal!, ws.workspaceId) };
}

describe('the changes feed', () => {
	it('returns a row whose transaction started first and committed after a later one was read', async () => {
		const { ws, scope } = await memberScope();
		const early = await seedConversation(db, ws, { customer: 'Early', messages: ['hi'] });
		const late = await seedConversation(db, ws, { customer: 'Late', messages: ['hello'] });
		let cursor = await changesCursor(db, scope);
		const seen: string[] = [];
		const read = async () => {
			const page = await listConversationChanges(db, scope, cursor);
			cursor = page.cursor;
			seen.push(...page.items.map((c) => c.id));
		};

		const first = await db.connect();
		const second = await db.connect();
		try {
			await first.query('begin');
			await first.query(`update conversations set last_message_preview = 'first, committed last', updated_at = now() where id = $1`, [early]);
			await new Promise((resolve) => setTimeout(resolve, 20));
			await second.query('begin');
			await second.query(`update conversations set last_message_preview = 'second, committed first', updated_at = now() where id = $1`, [late]);
			await second.query('commit');

			// A reader between the two commits: whatever it is handed, the cursor must not pass `early`.
			await read();
			await first.query('commit');
		} finally {
			first.release();
			second.release();
		}
		await waitFor(async () => {
			await read();
			return seen.includes(early) && seen.includes(late);
		}, 'both rows through the feed', 30_000);
		const { rows } = await db.query(`select updated_at from conversations where id = any($1::uuid[]) order by last_message_preview`, [[early, late]]);
		// The situation the old cursor got wrong: the row committed last carries the earlier time.
		expect(rows[0].updated_at.getTime()).toBeLessThan(rows[1].updated_at.getTime());
	});

	it('pages through more changes than one answer holds without repeating or losing any', async () => {
		const { ws, scope } = await memberScope();
		let cursor = await changesCursor(db, scope);
		const ids = [];
		for (let i = 0; i < 120; i++) ids.push(await seedConversation(db, ws, { customer: `C${i}` }));
		await db.query(`update conversations set unread_count = 1 where workspace_id = $1`, [ws.workspaceId]);
		const seen = new Set<string>();
		await waitFor(async () => {
			for (;;) {
				const page = await listConversationChanges(db, scope, cursor);
				cursor = page.cursor;
				for (const c of page.items) seen.add(c.id);
				if (!page.more) break;
			}
			return seen.size === ids.length;
		}, 'every conversation', 30_000);
		expect([...seen].sort()).toEqual([...ids].sort());
	});

	it('still answers a timestamp cursor handed out before this change, then continues in transaction order', async () => {
		const { ws, scope } = await memberScope();
		const { rows } = await db.query(`select now()::text as at`);
		const legacy = Buffer.from(`${rows[0].at}|00000000-0000-0000-0000-000000000000`).toString('base64url');
		const id = await seedConversation(db, ws, { customer: 'After' });
		const page = await waitFor(async () => {
			const p = await listConversationChanges(db, scope, legacy);
			return p.items.length ? p : null;
		}, 'the row after the legacy cursor', 30_000);
		expect(page.items.map((c) => c.id)).toEqual([id]);
		expect(Buffer.from(page.cursor, 'base64url').toString()).toMatch(/^x\d+\|/);
	});
});

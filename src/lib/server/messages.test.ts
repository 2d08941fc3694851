import { afterAll, describe, expect, it } from 'vitest';
import { testPool } from '../../../tests/helpers/db.ts';
import { createFixture, insertMessages } from '../../../tests/collab/helpers.ts';
import { authenticate } from './auth/principal.ts';
import { AccessDenied, scopeFor } from './scope.ts';
import { InvalidCursor, listMessages } from './messages.ts';

const db = testPool();
afterAll(() => db.end());

async function scopeOf(fx: Awaited<ReturnType<typeof createFixture>>) {
	const principal = await authenticate(db, fx.agentA.token);
	return scopeFor(db, principal!, fx.workspaceId);
}

describe('listMessages', () => {
	it('pages back through the whole history without gaps or repeats, each page in chronological order', async () => {
		const fx = await createFixture(db);
		await insertMessages(db, fx, fx.conversationId, 125);
		// Two messages with the very same timestamp must both be paged, ordered by id.
		await db.query(`update messages set sent_at = (select sent_at from messages where conversation_id = $1 and body = 'hello there 60') where conversation_id = $1 and body = 'hello there 61'`, [fx.conversationId]);
		const scope = await scopeOf(fx);
		const seen: string[] = [];
		let before: string | null = null;
		let pages = 0;
		do {
			const page = await listMessages(db, scope, fx.conversationId, { before, limit: 50 });
			const times = page.messages.map((m) => Date.parse(m.sentAt));
			expect(times).toEqual([...times].sort((a, b) => a - b));
			seen.unshift(...page.messages.map((m) => m.body));
			before = page.nextBefore;
			pages += 1;
		} while (before);
		expect(pages).toBe(3);
		expect(new Set(seen).size).toBe(125);
		expect(seen[0]).toBe('hello there 1');
		expect(seen.at(-1)).toBe('hello there 125');
	});

	it("answers not found for another workspace's conversation and refuses a cursor from elsewhere", async () => {
		const fx = await createFixture(db);
		const other = await createFixture(db);
		await insertMessages(db, other, other.conversationId, 3);
		const scope = await scopeOf(fx);
		await expect(listMessages(db, scope, other.conversationId)).rejects.toBeInstanceOf(AccessDenied);
		await expect(listMessages(db, scope, 'not-a-uuid')).rejects.toBeInstanceOf(AccessDenied);
		const { rows } = await db.query('select id from messages where conversation_id = $1 limit 1', [other.conversationId]);
		await expect(listMessages(db, scope, fx.conversationId, { before: rows[0].id })).rejects.toBeInstanceOf(InvalidCursor);
		await expect(listMessages(db, scope, fx.conversationId, { before: 'garbage' })).rejects.toBeInstanceOf(InvalidCursor);
	});
});

import { afterAll, describe, expect, it } from 'vitest';
import { testPool, uniqueEmail } from '../../../../tests/helpers/db.ts';
import { createSession, invalidateSession, invalidateUserSessions, validateSession } from './session.ts';
import { authenticate } from './principal.ts';
import { createApiToken, revokeApiToken } from './api-tokens.ts';

const db = testPool();
afterAll(() => db.end());

async function makeUser() {
	const { rows } = await db.query(
		`insert into users (email, name, password_hash) values ($1, 'Test', 'x') returning id`,
		[uniqueEmail()]
	);
	const ws = await db.query(`insert into workspaces (name) values ('WS') returning id`);
	await db.query(`insert into memberships (workspace_id, user_id, role) values ($1, $2, 'owner')`, [ws.rows[0].id, rows[0].id]);
	return { userId: rows[0].id as string, workspaceId: ws.rows[0].id as string };
}

describe('sessions', () => {
	it('stores only the id and a hash of the secret, never the token', async () => {
		const { userId } = await makeUser();
		const { token, session } = await createSession(db, userId, null);
		const secret = token.split('.')[1];
		const { rows } = await db.query('select * from sessions where id = $1', [session.id]);
		expect(rows).toHaveLength(1);
		expect(JSON.stringify(rows[0])).not.toContain(secret);
		expect(secret.length * 5).toBeGreaterThanOrEqual(160);
	});

	it('validates a good token and refuses a token with a wrong secret', async () => {
		const { userId } = await makeUser();
		const { token } = await createSession(db, userId, null);
		expect((await validateSession(db, token))?.user.id).toBe(userId);
		const forged = token.slice(0, -2) + (token.endsWith('a') ? 'bb' : 'aa');
		expect(await validateSession(db, forged)).toBeNull();
		expect(await validateSession(db, 'garbage')).toBeNull();
	});

	it('deletes an expired session and extends one in the second half of its life', async () => {
		const { userId } = await makeUser();
		const expired = await createSession(db, userId, null);
		await db.query(`update sessions set expires_at = now() - interval '1 second' where id = $1`, [expired.session.id]);
		expect(await validateSession(db, expired.token)).toBeNull();
		expect((await db.query('select 1 from sessions where id = $1', [expired.session.id])).rowCount).toBe(0);

		const aging = await createSession(db, userId, null);
		await db.query(`update sessions set expires_at = now() + interval '2 days' where id = $1`, [aging.session.id]);
		const result = await validateSession(db, aging.token);
		expect(result?.refreshed).toBe(true);
		expect(result!.session.expiresAt.getTime()).toBeGreaterThan(Date.now() + 20 * 86400_000);
	});

	it('invalidates one session on logout and all others on password change', async () => {
		const { userId } = await makeUser();
		const a = await createSession(db, userId, null);
		const b = await createSession(db, userId, null);
		const c = await createSession(db, userId, null);
		await invalidateSession(db, a.session.id);
		expect(await validateSession(db, a.token)).toBeNull();
		await invalidateUserSessions(db, userId, c.session.id);
		expect(await validateSession(db, b.token)).toBeNull();
		expect(await validateSession(db, c.token)).not.toBeNull();
	});
});

describe('authenticate', () => {
	it('accepts sessions and API tokens alike and refuses revoked tokens', async () => {
		const { userId, workspaceId } = await makeUser();
		const { token: sessionToken } = await createSession(db, userId, workspaceId);
		expect(await authenticate(db, sessionToken)).toMatchObject({ kind: 'session', userId, workspaceId });
		const { token, apiToken } = await createApiToken(db, userId, workspaceId, 'ci');
		expect(await authenticate(db, token)).toMatchObject({ kind: 'api_token', userId, workspaceId });
		const stored = await db.query('select token_hash from api_tokens where id = $1', [apiToken.id]);
		expect(stored.rows[0].token_hash).not.toContain(token);
		await revokeApiToken(db, userId, workspaceId, apiToken.id);
		expect(await authenticate(db, token)).toBeNull();
		expect(await authenticate(db, null)).toBeNull();
	});
});

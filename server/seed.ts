import { transaction, type Pool } from '../src/lib/server/db.ts';
import { signUp } from '../src/lib/server/accounts.ts';
import { hashPassword } from '../src/lib/server/auth/password.ts';
import type { Logger } from '../src/lib/server/log.ts';

export const DEMO_LOGIN = { email: 'demo@chatmai.local', password: 'chatmai-demo' } as const;

/**
 * On an empty database, a demo workspace to log into: an owner, an agent and a supervisor, all
 * with verified addresses. The agent and the supervisor are members of Demo Shop only.
 * Never runs on a database that has users.
 */
export async function seedDemo(pool: Pool, log: Logger): Promise<void> {
	const { rows } = await pool.query('select exists (select 1 from users) as any');
	if (rows[0].any) return;
	const { user, workspaceId } = await signUp(pool, { ...DEMO_LOGIN, name: 'Demo Owner', workspaceName: 'Demo Shop' });
	const passwordHash = await hashPassword(DEMO_LOGIN.password);
	await transaction(pool, async (tx) => {
		await tx.query('update users set email_verified_at = now() where id = $1', [user.id]);
		for (const [email, name, role] of [
			['somchai@chatmai.local', 'Somchai', 'agent'],
			['malee@chatmai.local', 'Malee', 'supervisor']
		] as const) {
			const member = await tx.query(
				`insert into users (email, name, password_hash, locale, email_verified_at, last_workspace_id) values ($1, $2, $3, 'en', now(), $4) returning id`,
				[email, name, passwordHash, workspaceId]
			);
			await tx.query('insert into memberships (workspace_id, user_id, role) values ($1, $2, $3)', [workspaceId, member.rows[0].id, role]);
		}
	});
	log.info('demo_seeded', { workspaceId, ownerId: user.id });
	console.log(
		`\n  Demo workspace ready. Log in with ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}` +
			`\n  (agent: somchai@chatmai.local, supervisor: malee@chatmai.local, same password)\n`
	);
}

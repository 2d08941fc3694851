import type { Pool } from '../src/lib/server/db.ts';
import { signUp } from '../src/lib/server/accounts.ts';
import type { Logger } from '../src/lib/server/log.ts';

export const DEMO_LOGIN = { email: 'demo@chatmai.local', password: 'chatmai-demo' } as const;

/**
 * On an empty database, a demo workspace to log into: an owner, an agent and a supervisor.
 * Never runs on a database that has users.
 */
export async function seedDemo(pool: Pool, log: Logger): Promise<void> {
	const { rows } = await pool.query('select exists (select 1 from users) as any');
	if (rows[0].any) return;
	const { user, workspaceId } = await signUp(pool, { ...DEMO_LOGIN, name: 'Demo Owner', workspaceName: 'Demo Shop' });
	for (const [email, name, role] of [
		['somchai@chatmai.local', 'Somchai', 'agent'],
		['malee@chatmai.local', 'Malee', 'supervisor']
	] as const) {
		const member = await signUp(pool, { email, name, password: DEMO_LOGIN.password });
		await pool.query('insert into memberships (workspace_id, user_id, role) values ($1, $2, $3)', [workspaceId, member.user.id, role]);
	}
	log.info('demo_seeded', { workspaceId, ownerId: user.id });
	console.log(
		`\n  Demo workspace ready. Log in with ${DEMO_LOGIN.email} / ${DEMO_LOGIN.password}` +
			`\n  (agent: somchai@chatmai.local, supervisor: malee@chatmai.local, same password)\n`
	);
}

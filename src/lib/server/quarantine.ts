import type { Queryable } from './db.ts';
import type { WorkspaceScope } from './scope.ts';

/**
 * The workspace's view of `quarantined_webhooks` (written by connectors/pipeline/quarantine.ts):
 * signed webhook bodies our parser could not read, kept until `npm run admin -- replay-quarantine`
 * feeds them to the pipeline after a fix. A body counts for the workspace when it was filed under
 * one of its connections, or when no single connection was known and the secret of one of its
 * connections verified it.
 */
export async function countQuarantined(db: Queryable, scope: WorkspaceScope): Promise<number> {
	scope.require('read');
	const { rows } = await db.query<{ n: number }>(
		`select count(*)::int as n from quarantined_webhooks q
		  where q.workspace_id = $1
		     or (q.workspace_id is null
		         and q.verified_connection_ids && array(select id from platform_connections where workspace_id = $1))`,
		[scope.workspaceId]
	);
	return rows[0]?.n ?? 0;
}

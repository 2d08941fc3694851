/**
 * The operator CLI: `node scripts/admin.ts <command>` (docs/PRIVACY.md, "Operator access").
 *
 * Every command first writes an `admin.<command>` entry to the audit log (operator = OS user,
 * host), then acts; when the entry cannot be written, nothing happens. Commands show names and
 * counts, never conversation content.
 */
import { parseArgs } from 'node:util';
import { readConfig } from '../src/lib/server/env.ts';
import { createPool } from '../src/lib/server/db.ts';
import { isUuid } from '../src/lib/server/scope.ts';
import type { LiveDocuments } from '../src/lib/server/ports.ts';
import { listWorkspacesForOperator, logAdminAccess } from '../src/lib/server/privacy/admin-access.ts';
import { closeWorkspaceAsOperator, pendingWorkspacePurges, purgePendingWorkspaces, purgeWorkspace } from '../src/lib/server/privacy/deletion.ts';
import { runRetention, withPrivacyLock } from '../src/lib/server/privacy/retention.ts';
import { purgeDocuments } from '../src/lib/server/privacy/documents.ts';
import { loadKeyRing } from '../server/keys.ts';
import { connectors } from '../connectors/registry.ts';
import { createPipeline } from '../connectors/pipeline/index.ts';
import { replayQuarantine } from '../connectors/pipeline/quarantine.ts';
import { logger } from '../src/lib/server/log.ts';
import { provideAccessChanges } from '../src/lib/server/access-changes.ts';
import { accessPublisher } from '../collab/access.ts';

const USAGE = `Usage: node scripts/admin.ts <command> [options]

Commands (each is written to the audit log before it runs):
  workspaces                          list workspaces: id, name, members, active connections, retention
  purge [--dry-run] [--workspace ID]  purge workspaces marked for deletion and apply retention now
  delete-workspace ID --yes           disconnect every connection, close the workspace and purge it
  audit [--workspace ID] [--limit N]  show recent audit entries (ids and actions only)
  quarantine [--workspace ID]         count signed webhooks our parser could not read, by platform and reason
  replay-quarantine [--workspace ID]  parse them again (after an update) and feed what now parses to the
                                      pipeline; the running server files them within a minute

Needs DATABASE_URL (the embedded database belongs to the running server).`;

const log = logger('admin');

const { values, positionals } = parseArgs({
	allowPositionals: true,
	options: {
		'dry-run': { type: 'boolean', default: false },
		workspace: { type: 'string' },
		limit: { type: 'string', default: '50' },
		yes: { type: 'boolean', default: false },
		help: { type: 'boolean', short: 'h', default: false }
	}
});
const [command, ...rest] = positionals;

if (!command || values.help || command === 'help') {
	console.log(USAGE);
	process.exit(command || values.help ? 0 : 2);
}

const config = readConfig();
if (!config.databaseUrl) {
	console.error('DATABASE_URL is not set. The admin CLI works on a PostgreSQL server, not on the embedded database of a running ChatMai.');
	process.exit(2);
}
const workspaceId = values.workspace ?? null;
if (workspaceId && !isUuid(workspaceId)) fail('--workspace must be a workspace id (uuid)');

const db = createPool({ connectionString: config.databaseUrl, max: 2, applicationName: 'chatmai-admin' });
try {
	switch (command) {
		case 'workspaces': {
			await logAdminAccess(db, { command: 'workspaces' });
			const rows = await listWorkspacesForOperator(db);
			console.table(
				rows.map((w) => ({
					id: w.id,
					name: w.name,
					members: w.members,
					connections: w.connections,
					retention_days: w.retentionDays,
					created: w.createdAt.toISOString().slice(0, 10),
					deletion_requested: w.deletionRequestedAt?.toISOString() ?? ''
				}))
			);
			break;
		}
		case 'purge': {
			const dryRun = values['dry-run'];
			await logAdminAccess(db, { command: 'purge', workspaceId, args: { dryRun } });
			if (dryRun) {
				const pending = await pendingWorkspacePurges(db);
				console.log(`Workspaces waiting to be purged: ${pending.length}`);
				for (const p of pending) console.log(`  ${p.id} (requested ${p.requestedAt.toISOString()})`);
				console.log(JSON.stringify(await runRetention(db, { dryRun: true, workspaceId: workspaceId ?? undefined }), null, 2));
				break;
			}
			const result = await withPrivacyLock(db, async (client) => ({
				purged: workspaceId ? [] : await purgePendingWorkspaces(client),
				retention: await runRetention(client, { workspaceId: workspaceId ?? undefined })
			}));
			if (!result) fail('Another instance is running the privacy jobs right now; try again in a minute.');
			// No collab server here: the stored documents are re-encoded (a running server purges its open copies in its own round).
			const documents = await purgeDocuments(db, undefined, result.retention.purgedConversations);
			console.log(`Live documents rewritten: ${documents}`);
			console.log(`Purged workspaces: ${result.purged.map((p) => p.workspaceId).join(', ') || 'none'}`);
			console.log(JSON.stringify(result.retention, null, 2));
			break;
		}
		case 'delete-workspace': {
			const id = rest[0];
			if (!id || !isUuid(id)) fail('delete-workspace needs a workspace id');
			if (!values.yes) fail(`This deletes workspace ${id} and all its data for good. Run again with --yes to confirm.`);
			const { rows } = await db.query('select 1 from workspaces where id = $1', [id]);
			if (!rows[0]) fail(`No workspace ${id}`);
			// Outside the workspace's own log, which the purge deletes.
			await logAdminAccess(db, { command: 'delete_workspace', workspaceId: id, detached: true });
			const keyRing = await loadKeyRing(config, log);
			// Open live-document sockets of its members close on every instance (through Redis; a
			// single instance without Redis re-checks them only when they reconnect).
			const access = config.redisUrl ? accessPublisher({ redisUrl: config.redisUrl }) : undefined;
			if (access) provideAccessChanges(access);
			// The pipeline's platforms port, for the revoke on each platform; its workers are not started.
			const { platforms } = createPipeline({ db, keyRing, live: noLiveDocuments(), connectors, config, databaseKind: 'postgres' });
			await closeWorkspaceAsOperator({ db, keyRing, platforms, config, origin: config.origin ?? 'http://localhost', ip: null }, id);
			await access?.close();
			const purged = await withPrivacyLock(db, (client) => purgeWorkspace(client, id));
			console.log(purged ? `Workspace ${id} deleted (${Object.values(purged.tables).reduce((a, b) => a + b, 0)} rows, ${purged.auditRows} audit entries).` : `Workspace ${id} closed; the privacy job purges it within the hour.`);
			break;
		}
		case 'audit': {
			const limit = Math.min(Math.max(Number(values.limit) || 50, 1), 1000);
			await logAdminAccess(db, { command: 'audit', workspaceId, args: { limit } });
			const { rows } = await db.query(
				`select id, created_at, workspace_id, actor_id, action, target_type, target_id from audit_log
				  where ($1::uuid is null or workspace_id = $1) order by id desc limit $2`,
				[workspaceId, limit]
			);
			console.table(rows.map((r) => ({ ...r, created_at: r.created_at.toISOString() })));
			break;
		}
		case 'quarantine': {
			await logAdminAccess(db, { command: 'quarantine', workspaceId });
			const { rows } = await db.query(
				`select platform, reason, count(*)::int as bodies, count(*) filter (where workspace_id is null)::int as without_workspace,
				        min(received_at) as oldest, max(replay_attempts)::int as replays
				   from quarantined_webhooks where ($1::uuid is null or workspace_id = $1) group by platform, reason order by platform, reason`,
				[workspaceId]
			);
			if (rows.length === 0) console.log('Nothing is quarantined.');
			else console.table(rows.map((r) => ({ ...r, oldest: r.oldest.toISOString() })));
			break;
		}
		case 'replay-quarantine': {
			await logAdminAccess(db, { command: 'replay_quarantine', workspaceId });
			const result = await replayQuarantine(db, connectors, { workspaceId });
			console.log(
				`Replayed ${result.replayed} bodies (${result.stored} new events, ${result.dropped} dropped for an account without a verified connection); ${result.failing} still do not parse and stay quarantined.`
			);
			break;
		}
		default:
			fail(`Unknown command "${command}".\n\n${USAGE}`);
	}
} finally {
	await db.end();
}

function fail(message: string): never {
	console.error(message);
	process.exit(1);
}

/** Revoking writes to no live document; anything else the pipeline might ask of it is refused. */
function noLiveDocuments(): LiveDocuments {
	const refuse = async () => {
		throw new Error('live documents are not available in the admin CLI');
	};
	return { appendMessage: refuse, appendMessages: refuse, setDeliveryState: refuse, clearDraft: refuse, setMeta: refuse, appendNote: refuse, purge: refuse, openAiDraft: refuse };
}

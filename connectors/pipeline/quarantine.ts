import { transaction, type Pool, type Queryable } from '../../src/lib/server/db.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { MalformedPayloadError } from '../shared/errors.ts';
import type { NormalizedEvent, Platform } from '../types.ts';
import type { ConnectorRegistry } from './connections.ts';
import { insertInboundRows, type InboundRow } from './group-commit.ts';
import { inboundRow } from './inbound-row.ts';
import { wakeWorkers } from './scheduler.ts';

/**
 * Signed webhook bodies our own parser could not read. The route stores them raw here and answers
 * 200 (LINE does not redeliver, the others would retry for hours and then give up), so nothing a
 * platform signed is lost to a parser bug; `npm run admin -- replay-quarantine` parses them again
 * after a fix and feeds what now parses into `inbound_events`, filed only under a connection whose
 * secret verified the body when it arrived (`verified_connection_ids`) and whose account the event
 * names. Owners see how many their workspace has (Settings → Connections).
 */

const log = logger('quarantine');

export interface QuarantineInput {
	platform: Platform;
	appKey: string | undefined;
	/** Set when the body's connection is known: the one connection that verified it. */
	connection: { id: string; workspaceId: string } | null;
	verifiedConnectionIds: readonly string[];
	body: Uint8Array;
	error: MalformedPayloadError;
}

export async function quarantine(db: Queryable, input: QuarantineInput): Promise<void> {
	await db.query(
		`insert into quarantined_webhooks (platform, app_key, workspace_id, connection_id, verified_connection_ids, body, reason, issues)
		 values ($1, $2, $3, $4, $5, $6, $7, $8)`,
		[
			input.platform,
			input.appKey ?? null,
			input.connection?.workspaceId ?? null,
			input.connection?.id ?? null,
			input.verifiedConnectionIds,
			Buffer.from(input.body.buffer, input.body.byteOffset, input.body.byteLength),
			input.error.reason,
			input.error.issues.slice(0, 20)
		]
	);
}

export interface ReplayResult {
	/** Bodies that parsed now and left the quarantine. */
	replayed: number;
	/** Bodies that still do not parse (kept, with the error). */
	failing: number;
	/** Events stored in inbound_events (new ones; a redelivery that arrived meanwhile is not counted). */
	stored: number;
	/** Events dropped because no active connection verified by the body has their account. */
	dropped: number;
}

interface QuarantinedRow {
	id: string;
	platform: Platform;
	verified_connection_ids: string[];
	body: Buffer;
}

export interface ReplayOptions {
	/** Only this workspace's bodies. @default all */
	workspaceId?: string | null;
	/** @default 100 */
	batch?: number;
	/** Wake the running server's ingest worker (through pg-boss) when events were stored. @default true */
	wake?: boolean;
}

/**
 * Parses every quarantined body again (one transaction each, rows locked so two replays never feed
 * one body twice), then wakes the running server's ingest worker, which files the new events as
 * if they had just arrived (otherwise its minute sweep does).
 */
export async function replayQuarantine(db: Pool, connectors: ConnectorRegistry, options: ReplayOptions = {}): Promise<ReplayResult> {
	const result = await replayAll(db, connectors, options);
	if (result.stored > 0 && options.wake !== false) await wakeWorkers(db, 'ingest');
	return result;
}

async function replayAll(db: Pool, connectors: ConnectorRegistry, options: ReplayOptions): Promise<ReplayResult> {
	const result: ReplayResult = { replayed: 0, failing: 0, stored: 0, dropped: 0 };
	const batch = options.batch ?? 100;
	let after = '00000000-0000-0000-0000-000000000000';
	for (;;) {
		const { rows: ids } = await db.query<{ id: string }>(
			`select id from quarantined_webhooks where id > $1 and ($2::uuid is null or workspace_id = $2) order by id limit $3`,
			[after, options.workspaceId ?? null, batch]
		);
		if (ids.length === 0) return result;
		for (const { id } of ids) await replayOne(db, connectors, id, result);
		after = ids.at(-1)!.id;
	}
}

async function replayOne(db: Pool, connectors: ConnectorRegistry, id: string, result: ReplayResult): Promise<void> {
	await transaction(db, async (client) => {
		const { rows } = await client.query<QuarantinedRow>(
			`select id, platform, verified_connection_ids, body from quarantined_webhooks where id = $1 for update skip locked`,
			[id]
		);
		const row = rows[0];
		if (!row) return;
		let events: NormalizedEvent[];
		try {
			events = connectors[row.platform].parse(row.body);
		} catch (error) {
			if (!(error instanceof MalformedPayloadError)) throw error;
			await client.query(
				`update quarantined_webhooks set replay_attempts = replay_attempts + 1, last_replay_error = $2, last_replayed_at = now() where id = $1`,
				[id, `${error.reason}: ${error.issues.slice(0, 5).join('; ')}`]
			);
			result.failing++;
			return;
		}
		const accounts = [...new Set(events.map((event) => event.accountId))];
		const { rows: connections } = await client.query<{ id: string; workspace_id: string; external_id: string }>(
			`select id, workspace_id, external_id from platform_connections
			  where platform = $1 and external_id = any($2) and status = 'active' and id = any($3)`,
			[row.platform, accounts, row.verified_connection_ids]
		);
		const byAccount = new Map(connections.map((c) => [c.external_id, c]));
		const inbound: InboundRow[] = [];
		for (const event of events) {
			const connection = byAccount.get(event.accountId);
			if (!connection) {
				result.dropped++;
				log.warn('replay_dropped', { quarantine_id: id, platform: row.platform, account_id: event.accountId, reason: 'no_verified_connection' });
				continue;
			}
			inbound.push(inboundRow(connection.workspace_id, connection.id, row.platform, event));
		}
		result.stored += await insertInboundRows(client, inbound);
		await client.query('delete from quarantined_webhooks where id = $1', [id]);
		result.replayed++;
		log.info('replayed', { quarantine_id: id, platform: row.platform, events: inbound.length });
	}).catch((error) => {
		log.error('replay_failed', { quarantine_id: id, error: errorMessage(error) });
		throw error;
	});
}

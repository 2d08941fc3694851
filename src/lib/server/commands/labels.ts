import type { Queryable } from '../db.ts';
import { transaction } from '../db.ts';
import { LABELS_LIMIT, isUuid, isValidLabel } from '../../conversation-doc.ts';
import { conversationsChanged } from '../workspace-feed.ts';
import { CommandRefused, actorId, mirror, notFound, workspaceOf, type Actor, type CommandDeps, type CommandOptions } from './actor.ts';

/**
 * Labels: the one place `conversations.labels` changes, as a whole set (sorted, without
 * duplicates, at most LABELS_LIMIT), with a `conversation_events` row naming what was added and
 * removed. A member needs `converse`. Once committed, the list row is pushed on the workspace feed.
 */

export interface LabelsResult {
	labels: string[];
	/** False when the conversation already had this set (nothing was written). */
	changed: boolean;
}

/**
 * The part of a set the labels command accepts: the valid labels, sorted, the first LABELS_LIMIT.
 * For a live document's set, where an agent's invalid label is dropped and the rest kept.
 */
export function acceptableLabels(labels: readonly unknown[]): string[] {
	return [...new Set(labels.filter(isValidLabel))].sort().slice(0, LABELS_LIMIT);
}

/** The labels as stored, or null when the conversation is not in the workspace. */
export async function readLabels(db: Queryable, workspaceId: string, conversationId: string): Promise<string[] | null> {
	if (!isUuid(conversationId)) return null;
	const { rows } = await db.query<{ labels: string[] }>('select labels from conversations where id = $1 and workspace_id = $2', [conversationId, workspaceId]);
	return rows[0]?.labels ?? null;
}

/** Replaces a conversation's labels with `labels`. */
export async function setLabels(deps: CommandDeps, actor: Actor, conversationId: string, labels: unknown, options: CommandOptions = {}): Promise<LabelsResult> {
	if (actor.type === 'user') actor.scope.require('converse');
	if (!isUuid(conversationId)) throw notFound();
	if (!Array.isArray(labels) || !labels.every(isValidLabel)) {
		throw new CommandRefused('invalid_input', 'A label is 1–40 letters, digits, spaces or - _ / . starting with a letter or digit', 'labels');
	}
	const wanted = [...new Set(labels)].sort();
	if (wanted.length > LABELS_LIMIT) throw new CommandRefused('invalid_input', `At most ${LABELS_LIMIT} labels`, 'labels');
	const workspaceId = workspaceOf(actor);
	const changed = await transaction(deps.db, async (client) => {
		const { rows } = await client.query<{ labels: string[] }>('select labels from conversations where id = $1 and workspace_id = $2 for update', [
			conversationId,
			workspaceId
		]);
		const row = rows[0];
		if (!row) throw notFound();
		const before = new Set(row.labels);
		const after = new Set(wanted);
		const added = wanted.filter((l) => !before.has(l));
		const removed = row.labels.filter((l) => !after.has(l));
		if (!added.length && !removed.length) return false;
		await client.query('update conversations set labels = $3, updated_at = now() where id = $1 and workspace_id = $2', [conversationId, workspaceId, wanted]);
		await client.query(`insert into conversation_events (workspace_id, conversation_id, actor_id, kind, data) values ($1, $2, $3, 'labels', $4)`, [
			workspaceId,
			conversationId,
			actorId(actor),
			JSON.stringify({ added, removed, ...(actor.type === 'system' ? { reason: actor.reason } : {}) })
		]);
		return true;
	});
	if (changed) conversationsChanged([{ workspaceId, conversationId }]);
	if (changed) await mirror(actor, conversationId, options, (origin) => deps.live.setMeta(workspaceId, conversationId, { labels: wanted }, origin), 'labels');
	return { labels: wanted, changed };
}

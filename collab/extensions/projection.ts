import type { Document, Extension, afterLoadDocumentPayload } from '@hocuspocus/server';
import type * as Y from 'yjs';
import type pg from 'pg';
import { transaction, isDatabaseUnavailable } from '../../src/lib/server/db.ts';
import {
	LABELS_LIMIT,
	NOTE_BODY_LIMIT,
	conversationDoc,
	isStatus,
	isUuid,
	isValidLabel,
	parseConversationDocName,
	type Note
} from '../../src/lib/conversation-doc.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { agentOf, serverOrigin, type AgentContext } from '../context.ts';
import { applySnapshot, loadSnapshot } from '../window.ts';

const log = logger('collab');

const META_KEYS = new Set(['status', 'snoozedUntil', 'assigneeId']);

export interface ProjectionConfiguration {
	db: pg.Pool;
}

type Job = () => Promise<void>;

/**
 * Projects what agents change in a document into PostgreSQL rows, with who and when, so that
 * lists, filters, reports and search query SQL: status and snooze (conversations +
 * conversation_events), assignee (+ assignments, a notification), labels, notes (+ a notification
 * per @mention).
 *
 * Only changes whose Yjs origin is an agent's connection are projected. Server-side writes are
 * mirrors of rows their caller already wrote, and changes relayed by Redis are projected by the
 * instance the agent is connected to. An agent's edit that breaks the rules (an unknown status, a
 * non-member assignee, a note claiming another author, a write into the server-only window) is
 * corrected in the document from PostgreSQL.
 */
export class Projection implements Extension {
	extensionName = 'chatmai-projection';
	configuration: ProjectionConfiguration;
	private queues = new Map<string, Promise<void>>();

	constructor(configuration: ProjectionConfiguration) {
		this.configuration = configuration;
	}

	async afterLoadDocument({ document, documentName }: afterLoadDocumentPayload): Promise<void> {
		const conversationId = parseConversationDocName(documentName);
		if (!conversationId) return;
		const types = conversationDoc(document);

		types.meta.observe((event) => {
			const agent = agentOf(event.transaction.origin);
			if (!agent) return;
			const keys = [...event.keysChanged];
			if (keys.some((k) => !META_KEYS.has(k))) this.enqueue(document, () => this.dropUnknownMetaKeys(document, agent));
			if (keys.includes('status') || keys.includes('snoozedUntil')) {
				const status = types.meta.get('status');
				const snoozedUntil = types.meta.get('snoozedUntil') ?? null;
				this.enqueue(document, () => this.projectStatus(document, agent, status, snoozedUntil));
			}
			if (keys.includes('assigneeId')) {
				const assigneeId = types.meta.get('assigneeId') ?? null;
				this.enqueue(document, () => this.projectAssignee(document, agent, assigneeId));
			}
		});
		types.labels.observe((event) => {
			const agent = agentOf(event.transaction.origin);
			if (agent) this.enqueue(document, () => this.projectLabels(document, agent, [...types.labels.keys()]));
		});
		types.notes.observe((event) => {
			const agent = agentOf(event.transaction.origin);
			if (!agent) return;
			const added = event.delta.flatMap((d) => (Array.isArray(d.insert) ? (d.insert as unknown[]) : []));
			if (added.length) this.enqueue(document, () => this.projectNotes(document, agent, added));
		});
		const guardServerOnly = (event: { transaction: Y.Transaction }) => {
			const agent = agentOf(event.transaction.origin);
			if (!agent) return;
			log.warn('client_wrote_server_only', { document: document.name, user_id: agent.principal.userId });
			this.enqueue(document, () => this.resync(document, agent));
		};
		types.messages.observe(guardServerOnly);
		types.delivery.observe(guardServerOnly);
	}

	/** Resolves once every projection queued so far has run. */
	async flush(): Promise<void> {
		while (this.queues.size) await Promise.all([...this.queues.values()]);
	}

	private enqueue(document: Document, job: Job): void {
		const name = document.name;
		const previous = this.queues.get(name) ?? Promise.resolve();
		const next = previous.then(() => this.run(name, job));
		this.queues.set(name, next);
		next.then(() => {
			if (this.queues.get(name) === next) this.queues.delete(name);
		});
	}

	private async run(name: string, job: Job): Promise<void> {
		for (let attempt = 1; attempt <= 4; attempt++) {
			try {
				await job();
				return;
			} catch (error) {
				const retry = isDatabaseUnavailable(error) && attempt < 4;
				log[retry ? 'warn' : 'error']('projection_failed', { document: name, attempt, error: errorMessage(error) });
				if (!retry) return;
				await new Promise((resolve) => setTimeout(resolve, 200 * 2 ** attempt));
			}
		}
	}

	/** Changes the document as the server (never projected, never echoed). */
	private correct(document: Document, agent: AgentContext, reason: string, fn: () => void): void {
		if (document.isDestroyed) return;
		document.transact(
			fn,
			serverOrigin({ kind: 'server', origin: { source: 'system', reason }, workspaceId: agent.workspaceId, conversationId: agent.conversationId })
		);
	}

	private async resync(document: Document, agent: AgentContext): Promise<void> {
		const snapshot = await loadSnapshot(this.configuration.db, agent.conversationId);
		if (snapshot) this.correct(document, agent, 'resync', () => applySnapshot(document, snapshot));
	}

	private async dropUnknownMetaKeys(document: Document, agent: AgentContext): Promise<void> {
		const { meta } = conversationDoc(document);
		this.correct(document, agent, 'unknown-meta', () => {
			for (const key of [...meta.keys()]) if (!META_KEYS.has(key)) meta.delete(key);
		});
	}

	private async projectStatus(document: Document, agent: AgentContext, status: unknown, snoozedUntil: unknown): Promise<void> {
		const until = typeof snoozedUntil === 'string' && !Number.isNaN(Date.parse(snoozedUntil)) ? new Date(snoozedUntil) : null;
		const valid = agent.scope.can('converse') && isStatus(status) && (status !== 'snoozed' || until !== null) && (snoozedUntil === null || until !== null);
		const result = await transaction(this.configuration.db, async (client) => {
			const { rows } = await client.query<{ status: string; snoozed_until: Date | null }>(
				'select status, snoozed_until from conversations where id = $1 and workspace_id = $2 for update',
				[agent.conversationId, agent.workspaceId]
			);
			const row = rows[0];
			if (!row) return null;
			if (!valid) return row;
			const nextUntil = status === 'snoozed' ? until : null;
			if (row.status === status && row.snoozed_until?.getTime() === nextUntil?.getTime()) return null;
			await client.query('update conversations set status = $3, snoozed_until = $4, updated_at = now() where id = $1 and workspace_id = $2', [
				agent.conversationId,
				agent.workspaceId,
				status,
				nextUntil
			]);
			await client.query(`insert into conversation_events (workspace_id, conversation_id, actor_id, kind, data) values ($1, $2, $3, 'status', $4)`, [
				agent.workspaceId,
				agent.conversationId,
				agent.principal.userId,
				JSON.stringify({ from: row.status, to: status, snoozedUntil: nextUntil?.toISOString() ?? null })
			]);
			return null;
		});
		if (result) {
			log.warn('edit_reverted', { document: document.name, field: 'status', user_id: agent.principal.userId });
			const { meta } = conversationDoc(document);
			this.correct(document, agent, 'invalid-status', () => {
				meta.set('status', result.status);
				meta.set('snoozedUntil', result.snoozed_until?.toISOString() ?? null);
			});
		}
	}

	private async projectAssignee(document: Document, agent: AgentContext, assigneeId: unknown): Promise<void> {
		const revertTo = await transaction(this.configuration.db, async (client) => {
			const { rows } = await client.query<{ assignee_id: string | null }>(
				'select assignee_id from conversations where id = $1 and workspace_id = $2 for update',
				[agent.conversationId, agent.workspaceId]
			);
			const row = rows[0];
			if (!row) return undefined;
			let valid = agent.scope.can('converse') && (assigneeId === null || isUuid(assigneeId));
			if (valid && assigneeId !== null) {
				const member = await client.query(
					`select 1 from memberships where workspace_id = $1 and user_id = $2 and role in ('owner', 'admin', 'agent')`,
					[agent.workspaceId, assigneeId]
				);
				valid = member.rowCount === 1;
			}
			if (!valid) return row.assignee_id;
			if (row.assignee_id === assigneeId) return undefined;
			await client.query('update conversations set assignee_id = $3, updated_at = now() where id = $1 and workspace_id = $2', [
				agent.conversationId,
				agent.workspaceId,
				assigneeId
			]);
			await client.query('insert into assignments (workspace_id, conversation_id, assignee_id, assigned_by) values ($1, $2, $3, $4)', [
				agent.workspaceId,
				agent.conversationId,
				assigneeId,
				agent.principal.userId
			]);
			await client.query(`insert into conversation_events (workspace_id, conversation_id, actor_id, kind, data) values ($1, $2, $3, 'assignee', $4)`, [
				agent.workspaceId,
				agent.conversationId,
				agent.principal.userId,
				JSON.stringify({ from: row.assignee_id, to: assigneeId })
			]);
			if (assigneeId && assigneeId !== agent.principal.userId) {
				await client.query(`insert into notifications (workspace_id, user_id, kind, conversation_id, actor_id) values ($1, $2, 'assigned', $3, $4)`, [
					agent.workspaceId,
					assigneeId,
					agent.conversationId,
					agent.principal.userId
				]);
			}
			return undefined;
		});
		if (revertTo !== undefined) {
			log.warn('edit_reverted', { document: document.name, field: 'assigneeId', user_id: agent.principal.userId });
			this.correct(document, agent, 'invalid-assignee', () => conversationDoc(document).meta.set('assigneeId', revertTo));
		}
	}

	private async projectLabels(document: Document, agent: AgentContext, labels: string[]): Promise<void> {
		const { labels: map } = conversationDoc(document);
		const allowed = agent.scope.can('converse');
		const valid = allowed ? labels.filter(isValidLabel).sort().slice(0, LABELS_LIMIT) : null;
		const stored = await transaction(this.configuration.db, async (client) => {
			const { rows } = await client.query<{ labels: string[] }>('select labels from conversations where id = $1 and workspace_id = $2 for update', [
				agent.conversationId,
				agent.workspaceId
			]);
			const row = rows[0];
			if (!row || !valid) return row?.labels ?? null;
			const before = new Set(row.labels);
			const after = new Set(valid);
			const added = valid.filter((l) => !before.has(l));
			const removed = row.labels.filter((l) => !after.has(l));
			if (added.length || removed.length) {
				await client.query('update conversations set labels = $3, updated_at = now() where id = $1 and workspace_id = $2', [
					agent.conversationId,
					agent.workspaceId,
					valid
				]);
				await client.query(`insert into conversation_events (workspace_id, conversation_id, actor_id, kind, data) values ($1, $2, $3, 'labels', $4)`, [
					agent.workspaceId,
					agent.conversationId,
					agent.principal.userId,
					JSON.stringify({ added, removed })
				]);
			}
			return valid;
		});
		if (stored && (stored.length !== labels.length || !labels.every((l) => stored.includes(l)))) {
			const keep = new Set(stored);
			this.correct(document, agent, 'invalid-labels', () => {
				for (const label of [...map.keys()]) if (!keep.has(label)) map.delete(label);
				for (const label of keep) if (!map.has(label)) map.set(label, true);
			});
		}
	}

	private async projectNotes(document: Document, agent: AgentContext, added: unknown[]): Promise<void> {
		const { notes } = conversationDoc(document);
		const remove = new Set<string>();
		const replace = new Map<string, Note>();
		for (const raw of added) {
			const note = raw as Partial<Note> | null;
			const id = note && typeof note === 'object' ? note.id : undefined;
			const body = note?.body;
			const valid =
				agent.scope.can('converse') &&
				isUuid(id) &&
				typeof body === 'string' &&
				body.trim().length > 0 &&
				body.length <= NOTE_BODY_LIMIT &&
				!body.includes('\u0000') && // PostgreSQL text cannot hold it
				(note?.mentions === undefined || (Array.isArray(note.mentions) && note.mentions.length <= 50));
			if (!valid) {
				if (typeof id === 'string') remove.add(id);
				else this.correct(document, agent, 'invalid-note', () => dropMalformed(notes));
				continue;
			}
			const claimed = (note!.mentions ?? []).filter(isUuid);
			const members = claimed.length
				? (
						await this.configuration.db.query<{ user_id: string }>(
							'select user_id from memberships where workspace_id = $1 and user_id = any($2::uuid[])',
							[agent.workspaceId, claimed]
						)
					).rows.map((r) => r.user_id)
				: [];
			const mentions = [...new Set(claimed.filter((m) => members.includes(m)))];
			const inserted = await transaction(this.configuration.db, async (client) => {
				const result = await client.query<{ created_at: Date }>(
					`insert into notes (id, workspace_id, conversation_id, author_id, body, mentions)
					 values ($1, $2, $3, $4, $5, $6) on conflict (id) do nothing returning created_at`,
					[id, agent.workspaceId, agent.conversationId, agent.principal.userId, body, mentions]
				);
				if (!result.rows[0]) return null;
				for (const userId of mentions) {
					if (userId === agent.principal.userId) continue;
					await client.query(
						`insert into notifications (workspace_id, user_id, kind, conversation_id, actor_id, excerpt) values ($1, $2, 'mention', $3, $4, $5)`,
						[agent.workspaceId, userId, agent.conversationId, agent.principal.userId, body.slice(0, 140)]
					);
				}
				return result.rows[0].created_at;
			});
			if (!inserted) {
				// The id is taken: by this very note (a replay) or by another conversation's note.
				const { rows } = await this.configuration.db.query('select 1 from notes where id = $1 and conversation_id = $2', [id, agent.conversationId]);
				if (!rows[0]) remove.add(id!);
				continue;
			}
			const stamped: Note = {
				id: id!,
				authorId: agent.principal.userId,
				authorName: agent.principal.name,
				body,
				mentions,
				createdAt: inserted.toISOString()
			};
			const same =
				note!.authorId === stamped.authorId &&
				note!.authorName === stamped.authorName &&
				JSON.stringify(note!.mentions ?? []) === JSON.stringify(mentions) &&
				typeof note!.createdAt === 'string' &&
				Math.abs(Date.parse(note!.createdAt) - inserted.getTime()) < 5 * 60_000;
			if (!same) replace.set(stamped.id, stamped);
		}
		if (!remove.size && !replace.size) return;
		if (remove.size) log.warn('edit_reverted', { document: document.name, field: 'notes', user_id: agent.principal.userId });
		this.correct(document, agent, 'note-author', () => {
			const current = notes.toArray();
			for (let i = current.length - 1; i >= 0; i--) {
				const id = current[i]?.id;
				if (remove.has(id)) notes.delete(i, 1);
				else if (replace.has(id)) {
					notes.delete(i, 1);
					notes.insert(i, [replace.get(id)!]);
				}
			}
		});
	}
}

function dropMalformed(notes: Y.Array<Note>): void {
	const current = notes.toArray();
	for (let i = current.length - 1; i >= 0; i--) if (!current[i] || typeof current[i] !== 'object' || !isUuid(current[i].id)) notes.delete(i, 1);
}

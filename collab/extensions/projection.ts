import type { Document, Extension, afterLoadDocumentPayload } from '@hocuspocus/server';
import type * as Y from 'yjs';
import type pg from 'pg';
import { transaction, isDatabaseUnavailable } from '../../src/lib/server/db.ts';
import {
	LABELS_LIMIT,
	WINDOW_SIZE,
	conversationDoc,
	isStatus,
	isUuid,
	isValidLabel,
	parseConversationDocName,
	sameNote,
	sameWindowEntry,
	type Note
} from '../../src/lib/conversation-doc.ts';
import { NoteRefused, isValidNoteInput, writeNote } from '../../src/lib/server/notes.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { agentOf, serverOrigin, type AgentContext } from '../context.ts';
import { applyWindow, loadNotes, loadSnapshot, loadWindowMessages, type ConversationSnapshot } from '../window.ts';

const log = logger('collab');

const META_KEYS = new Set(['status', 'snoozedUntil', 'assigneeId']);

export interface ProjectionConfiguration {
	db: pg.Pool;
	/** Messages in the recent window. @default WINDOW_SIZE (50) */
	windowSize?: number;
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
			// What a client deleted is read now: the content is garbage-collected once the transaction ends.
			const deleted = [...event.changes.deleted].flatMap((item) => item.content.getContent() as unknown[]);
			const deletedIds = deleted.map((n) => (n && typeof n === 'object' ? (n as Partial<Note>).id : undefined)).filter(isUuid);
			if (added.length || deletedIds.length) this.enqueue(document, () => this.projectNotes(document, agent, added, deletedIds));
		});
		// One check per transaction, however many server-only types it touched.
		const checked = new WeakSet<Y.Transaction>();
		const guardServerOnly = (event: { transaction: Y.Transaction }) => {
			const agent = agentOf(event.transaction.origin);
			if (!agent || checked.has(event.transaction)) return;
			checked.add(event.transaction);
			this.enqueue(document, () => this.checkServerOnly(document, agent));
		};
		types.messages.observe(guardServerOnly);
		types.delivery.observe(guardServerOnly);
	}

	/**
	 * Resolves once the projections queued for one document have run, so its stored state never
	 * holds a client's write into a server-owned part before it is reverted.
	 */
	async settled(documentName: string): Promise<void> {
		for (let queue = this.queues.get(documentName); queue; queue = this.queues.get(documentName)) await queue;
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

	/**
	 * After an agent's transaction touched `messages` or `delivery` (server only): brings the window
	 * back to PostgreSQL. A forgery (an entry that is not a row of this conversation or says
	 * something else than its row, a removed entry, a delivery state no row has) is logged once. A
	 * client sending back entries equal to their rows (a tab that kept what a previous server
	 * process mirrored and never stored) is no forgery: its duplicates are dropped without a warning.
	 */
	private async checkServerOnly(document: Document, agent: AgentContext): Promise<void> {
		const { db } = this.configuration;
		const snapshot = await loadSnapshot(db, agent.conversationId, this.configuration.windowSize ?? WINDOW_SIZE);
		if (!snapshot || document.isDestroyed) return;
		const forged = await this.windowForged(document, agent, snapshot);
		if (forged) log.warn('client_wrote_server_only', { document: document.name, user_id: agent.principal.userId, reason: forged });
		else log.debug('client_resent_server_state', { document: document.name, user_id: agent.principal.userId });
		// Only the window: meta, labels and notes have projections of their own, possibly queued after this one.
		this.correct(document, agent, forged ? 'revert-server-only' : 'dedupe-window', () => applyWindow(document, snapshot));
	}

	/** Why the document's window is not what PostgreSQL holds, or null when it only repeats rows. */
	private async windowForged(document: Document, agent: AgentContext, snapshot: ConversationSnapshot): Promise<string | null> {
		const { messages, delivery } = conversationDoc(document);
		const wanted = new Map(snapshot.messages.map((m) => [m.id, m]));
		const entries = messages.toArray();
		const present = new Set<string>();
		const unknown: string[] = [];
		for (const entry of entries) {
			if (!entry || typeof entry !== 'object' || typeof entry.id !== 'string') return 'malformed';
			const row = wanted.get(entry.id);
			if (row) {
				if (!sameWindowEntry(entry, row)) return 'changed';
				present.add(entry.id);
			} else unknown.push(entry.id);
		}
		for (const id of wanted.keys()) if (!present.has(id)) return 'removed';
		const states = [...delivery.entries()];
		const rows = await loadWindowMessages(this.configuration.db, agent.conversationId, [...new Set([...unknown, ...states.map(([id]) => id)])]);
		for (const id of unknown) {
			const row = rows.get(id);
			if (!row || !sameWindowEntry(entries.find((e) => e.id === id)!, row)) return 'unknown';
		}
		for (const [id, state] of states) {
			const row = rows.get(id);
			// A state may lag its row (queued while the row says sent), never claim what no row says.
			if (!row || !state || typeof state !== 'object' || (state.state !== 'queued' && state.state !== row.deliveryState)) return 'delivery';
		}
		return null;
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

	/**
	 * Notes an agent added are written as rows (stamped with the real author and time); a note whose
	 * id is already a row of this conversation must say what the row says, and a removed note that
	 * has a row comes back. Any other change to a stored note (another member's or one's own) is a
	 * forgery: reverted from PostgreSQL and logged once.
	 */
	private async projectNotes(document: Document, agent: AgentContext, added: unknown[], deletedIds: string[]): Promise<void> {
		const { db } = this.configuration;
		const { notes } = conversationDoc(document);
		const remove = new Set<string>();
		/** id → the note as the row says it: the only copy the document keeps. */
		const restore = new Map<string, Note>();
		let forged = false;
		let malformed = false;
		const idOf = (raw: unknown) => (raw && typeof raw === 'object' ? (raw as Partial<Note>).id : undefined);
		// Notes already stored (replays, rewrites, removals) in one query; only new ids are written.
		const stored = await loadNotes(db, agent.conversationId, [...new Set([...added.map(idOf).filter(isUuid), ...deletedIds])]);
		for (const raw of added) {
			const note = raw as Partial<Note>;
			const id = idOf(raw);
			if (!isUuid(id)) {
				malformed = true;
				continue;
			}
			if (stored.has(id)) continue; // compared with its row below
			const input = { id, body: note.body as string, mentions: note.mentions };
			if (!agent.scope.can('note') || !isValidNoteInput(input)) {
				remove.add(id);
				continue;
			}
			try {
				const written = await writeNote(db, agent.scope, agent.conversationId, input);
				// A fresh note is stamped exactly as its row (author, time, mentions), so that any later copy
				// a client sends back compares equal.
				if (!sameNote(note as Note, written.note)) restore.set(id, written.note);
				if (!written.created && !sameNote(note as Note, written.note)) forged = true; // stored meanwhile
			} catch (error) {
				if (!(error instanceof NoteRefused)) throw error;
				remove.add(id); // the id belongs to another conversation's note
			}
		}
		// A stored note must be in the document once, as its row says: a rewrite or a removal is a
		// forgery and is reverted; a copy sent back unchanged (a replay) only loses its duplicates.
		for (const [id, row] of stored) {
			const copies = notes.toArray().filter((n) => n?.id === id);
			if (copies.length === 1 && sameNote(copies[0], row)) continue;
			if (!copies.some((n) => sameNote(n, row))) forged = true;
			restore.set(id, row);
		}
		if (!remove.size && !restore.size && !malformed) return;
		if (forged || remove.size || malformed) log.warn('edit_reverted', { document: document.name, field: 'notes', user_id: agent.principal.userId });
		this.correct(document, agent, forged ? 'revert-notes' : 'note-author', () => {
			if (malformed) dropMalformed(notes);
			const current = notes.toArray();
			const placed = new Set<string>();
			for (let i = current.length - 1; i >= 0; i--) {
				const id = current[i]?.id;
				if (remove.has(id) || (restore.has(id) && placed.has(id))) notes.delete(i, 1);
				else if (restore.has(id)) {
					// Keep the last copy's place, as the row says; drop any other copy.
					placed.add(id);
					if (!sameNote(current[i], restore.get(id)!)) {
						notes.delete(i, 1);
						notes.insert(i, [restore.get(id)!]);
					}
				}
			}
			for (const [id, note] of restore) {
				if (placed.has(id)) continue;
				const now = notes.toArray();
				let index = now.length;
				while (index > 0 && Date.parse(now[index - 1]?.createdAt) > Date.parse(note.createdAt)) index -= 1;
				notes.insert(index, [note]);
			}
		});
	}
}

function dropMalformed(notes: Y.Array<Note>): void {
	const current = notes.toArray();
	for (let i = current.length - 1; i >= 0; i--) if (!current[i] || typeof current[i] !== 'object' || !isUuid(current[i].id)) notes.delete(i, 1);
}

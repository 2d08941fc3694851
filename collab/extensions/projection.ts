import type { Document, Extension, afterLoadDocumentPayload } from '@hocuspocus/server';
import type * as Y from 'yjs';
import type pg from 'pg';
import { isDatabaseUnavailable } from '../../src/lib/server/db.ts';
import { WINDOW_SIZE, conversationDoc, isUuid, parseConversationDocName, type Note } from '../../src/lib/conversation-doc.ts';
import { sameNote } from '../../src/lib/server/live-window.ts';
import { NoteRefused } from '../../src/lib/server/notes.ts';
import { AccessDenied } from '../../src/lib/server/scope.ts';
import {
	CommandRefused,
	acceptableLabels,
	addNote,
	assign,
	readAssignee,
	readLabels,
	readStatus,
	setLabels,
	setStatus,
	userActor,
	type CommandDeps,
	type CommandOptions
} from '../../src/lib/server/commands/index.ts';
import { errorMessage, logger } from '../../src/lib/server/log.ts';
import { agentOf, type AgentContext } from '../context.ts';
import { applyWindow, loadNotes, loadSnapshot } from '../window.ts';
import { correct, fixNotes, windowForged, type NotesFix } from './corrections.ts';

const log = logger('collab');

const META_KEYS = new Set(['status', 'snoozedUntil', 'assigneeId']);

/** The change is the document's own: the commands do not write it back. */
const FROM_DOCUMENT: CommandOptions = { fromDocument: true };

export interface ProjectionConfiguration {
	db: pg.Pool;
	/** Messages in the recent window. @default WINDOW_SIZE (50) */
	windowSize?: number;
}

type Job = () => Promise<void>;

/**
 * Translates what agents change in a document into the conversation commands
 * (src/lib/server/commands), which validate and write PostgreSQL rows with who and when, so that
 * lists, filters, reports and search query SQL: status and snooze, assignee, labels, notes.
 *
 * Only changes whose Yjs origin is an agent's connection are translated. Server-side writes are
 * mirrors of rows their caller already wrote, and changes relayed by Redis are projected by the
 * instance the agent is connected to. An edit a command refuses (an unknown status, a non-member
 * assignee, a supervisor's change, a note claiming another author) and a write into the
 * server-only window are corrected in the document from PostgreSQL.
 */
export class Projection implements Extension {
	extensionName = 'chatmai-projection';
	configuration: ProjectionConfiguration;
	private queues = new Map<string, Promise<void>>();
	private deps: CommandDeps;

	constructor(configuration: ProjectionConfiguration) {
		this.configuration = configuration;
		// Every command runs FROM_DOCUMENT here: the change is already in the document, nothing is mirrored.
		const mirrorRefused = () => Promise.reject(new Error('The projection never writes a document change back'));
		this.deps = { db: configuration.db, live: { setMeta: mirrorRefused, appendNote: mirrorRefused } };
	}

	async afterLoadDocument({ document, documentName }: afterLoadDocumentPayload): Promise<void> {
		const conversationId = parseConversationDocName(documentName);
		if (!conversationId) return;
		const types = conversationDoc(document);

		types.meta.observe((event) => {
			const agent = agentOf(event.transaction.origin);
			if (!agent) return;
			const keys = [...event.keysChanged];
			if (keys.some((k) => !META_KEYS.has(k))) this.enqueue(document, async () => this.dropUnknownMetaKeys(document, agent));
			if (keys.includes('status') || keys.includes('snoozedUntil')) {
				const input = { status: types.meta.get('status'), snoozedUntil: types.meta.get('snoozedUntil') ?? null };
				this.enqueue(document, () => this.projectStatus(document, agent, input));
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

	/**
	 * Runs one command for an agent's edit; when the command refuses it (the role, the input), the
	 * edit is logged and `revert` puts the document back as PostgreSQL holds it.
	 */
	private async translate(document: Document, agent: AgentContext, field: string, command: () => Promise<unknown>, revert: () => Promise<void>): Promise<void> {
		try {
			await command();
		} catch (error) {
			if (!(error instanceof CommandRefused || error instanceof AccessDenied)) throw error;
			if (error.reason === 'not_found') return; // the conversation is gone: nothing to correct
			log.warn('edit_reverted', { document: document.name, field, user_id: agent.principal.userId });
			await revert();
		}
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
		const forged = await windowForged(db, document, agent, snapshot);
		if (forged) log.warn('client_wrote_server_only', { document: document.name, user_id: agent.principal.userId, reason: forged });
		else log.debug('client_resent_server_state', { document: document.name, user_id: agent.principal.userId });
		// Only the window: meta, labels and notes have projections of their own, possibly queued after this one.
		correct(document, agent, forged ? 'revert-server-only' : 'dedupe-window', () => applyWindow(document, snapshot));
	}

	private dropUnknownMetaKeys(document: Document, agent: AgentContext): void {
		const { meta } = conversationDoc(document);
		correct(document, agent, 'unknown-meta', () => {
			for (const key of [...meta.keys()]) if (!META_KEYS.has(key)) meta.delete(key);
		});
	}

	private async projectStatus(document: Document, agent: AgentContext, input: { status: unknown; snoozedUntil: unknown }): Promise<void> {
		await this.translate(
			document,
			agent,
			'status',
			() => setStatus(this.deps, userActor(agent.scope), agent.conversationId, input, FROM_DOCUMENT),
			async () => {
				const stored = await readStatus(this.configuration.db, agent.workspaceId, agent.conversationId);
				if (!stored) return;
				const { meta } = conversationDoc(document);
				correct(document, agent, 'invalid-status', () => {
					meta.set('status', stored.status);
					meta.set('snoozedUntil', stored.snoozedUntil);
				});
			}
		);
	}

	private async projectAssignee(document: Document, agent: AgentContext, assigneeId: unknown): Promise<void> {
		await this.translate(
			document,
			agent,
			'assigneeId',
			() => assign(this.deps, userActor(agent.scope), agent.conversationId, assigneeId, FROM_DOCUMENT),
			async () => {
				const stored = await readAssignee(this.configuration.db, agent.workspaceId, agent.conversationId);
				if (stored !== undefined) correct(document, agent, 'invalid-assignee', () => conversationDoc(document).meta.set('assigneeId', stored));
			}
		);
	}

	/** The document's set as the command accepts it (invalid labels dropped); the document then shows what was stored. */
	private async projectLabels(document: Document, agent: AgentContext, labels: string[]): Promise<void> {
		const holder: { stored: string[] | null } = { stored: null };
		await this.translate(
			document,
			agent,
			'labels',
			async () => {
				holder.stored = (await setLabels(this.deps, userActor(agent.scope), agent.conversationId, acceptableLabels(labels), FROM_DOCUMENT)).labels;
			},
			async () => {
				holder.stored = await readLabels(this.configuration.db, agent.workspaceId, agent.conversationId);
			}
		);
		const keep = holder.stored;
		if (!keep || (keep.length === labels.length && labels.every((l) => keep.includes(l)))) return;
		const { labels: map } = conversationDoc(document);
		correct(document, agent, 'invalid-labels', () => {
			for (const label of [...map.keys()]) if (!keep.includes(label)) map.delete(label);
			for (const label of keep) if (!map.has(label)) map.set(label, true);
		});
	}

	/**
	 * Notes an agent added go through the notes command (stamped with the real author and time); a
	 * note whose id is already a row of this conversation must say what the row says, and a removed
	 * note that has a row comes back. Any other change to a stored note (another member's or one's
	 * own) is a forgery: reverted from PostgreSQL and logged once.
	 */
	private async projectNotes(document: Document, agent: AgentContext, added: unknown[], deletedIds: string[]): Promise<void> {
		const { db } = this.configuration;
		const { notes } = conversationDoc(document);
		const fix: NotesFix = { remove: new Set(), restore: new Map(), malformed: false };
		let forged = false;
		const idOf = (raw: unknown) => (raw && typeof raw === 'object' ? (raw as Partial<Note>).id : undefined);
		// Notes already stored (replays, rewrites, removals) in one query; only new ids are written.
		const stored = await loadNotes(db, agent.conversationId, [...new Set([...added.map(idOf).filter(isUuid), ...deletedIds])]);
		for (const raw of added) {
			const note = raw as Partial<Note>;
			const id = idOf(raw);
			if (!isUuid(id)) {
				fix.malformed = true;
				continue;
			}
			if (stored.has(id)) continue; // compared with its row below
			try {
				const written = await addNote(this.deps, userActor(agent.scope), agent.conversationId, { id, body: note.body as string, mentions: note.mentions }, FROM_DOCUMENT);
				// A fresh note is stamped exactly as its row (author, time, mentions), so that any later copy
				// a client sends back compares equal.
				if (!sameNote(note as Note, written.note)) fix.restore.set(id, written.note);
				if (!written.created && !sameNote(note as Note, written.note)) forged = true; // stored meanwhile
			} catch (error) {
				if (!(error instanceof NoteRefused || error instanceof AccessDenied)) throw error;
				fix.remove.add(id); // not allowed, not a valid note, or the id is another conversation's note
			}
		}
		// A stored note must be in the document once, as its row says: a rewrite or a removal is a
		// forgery and is reverted; a copy sent back unchanged (a replay) only loses its duplicates.
		for (const [id, row] of stored) {
			const copies = notes.toArray().filter((n) => n?.id === id);
			if (copies.length === 1 && sameNote(copies[0], row)) continue;
			if (!copies.some((n) => sameNote(n, row))) forged = true;
			fix.restore.set(id, row);
		}
		if (!fix.remove.size && !fix.restore.size && !fix.malformed) return;
		if (forged || fix.remove.size || fix.malformed) log.warn('edit_reverted', { document: document.name, field: 'notes', user_id: agent.principal.userId });
		correct(document, agent, forged ? 'revert-notes' : 'note-author', () => fixNotes(notes, fix));
	}
}

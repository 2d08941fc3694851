import type { Principal } from '../src/lib/server/auth/principal.ts';
import type { WorkspaceScope } from '../src/lib/server/scope.ts';
import type { PresenceUser } from '../src/lib/conversation-doc.ts';
import type { LiveOrigin } from '../src/lib/server/ports.ts';

/** What onAuthenticate puts on an agent's connection; every later hook reads it. */
export interface AgentContext {
	kind: 'agent';
	principal: Principal;
	scope: WorkspaceScope;
	user: PresenceUser;
	workspaceId: string;
	conversationId: string;
	/** Access changes seen before this connection authenticated (collab/access.ts). */
	accessSequence?: number;
}

/** The context of a server-side direct connection or a server-made transaction. */
export interface ServerContext {
	kind: 'server';
	origin: LiveOrigin;
	workspaceId: string;
	conversationId: string;
}

export type CollabContext = AgentContext | ServerContext;

/**
 * The Yjs transaction origin the collab server uses for its own changes (seeding the window,
 * correcting a note, reverting an invalid edit). Same shape as Hocuspocus's LocalTransactionOrigin,
 * so the document is still stored.
 */
export function serverOrigin(context: ServerContext): { source: 'local'; context: ServerContext } {
	return { source: 'local', context };
}

/** The agent behind a transaction, when it came from an agent's WebSocket connection. */
export function agentOf(origin: unknown): AgentContext | null {
	if (!origin || typeof origin !== 'object') return null;
	const o = origin as { source?: string; connection?: { context?: CollabContext } };
	if (o.source !== 'connection') return null;
	const context = o.connection?.context;
	return context?.kind === 'agent' ? context : null;
}

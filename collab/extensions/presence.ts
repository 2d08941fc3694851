import type { Connection, Document, Extension, beforeHandleAwarenessPayload } from '@hocuspocus/server';
import type { CollabContext } from '../context.ts';

export interface PresenceConfiguration {
	/** Awareness client ids one connection may hold (one per tab's provider). @default 4 */
	maxClientsPerConnection?: number;
	/** Largest JSON size of one client's awareness state, in bytes; bigger states are dropped. @default 4096 */
	maxStateBytes?: number;
}

/**
 * Server-stamped presence. Before an awareness update from a connection is applied and broadcast,
 * the `user` field of each state (id, name, colour, role) is overwritten from the authenticated
 * session, whatever the client claimed. A connection cannot speak for a client id that belongs to
 * another connection, nor hold more than a few, nor send an oversized state.
 */
export class Presence implements Extension {
	extensionName = 'chatmai-presence';
	private maxClients: number;
	private maxStateBytes: number;

	constructor(configuration: PresenceConfiguration = {}) {
		this.maxClients = configuration.maxClientsPerConnection ?? 4;
		this.maxStateBytes = configuration.maxStateBytes ?? 4096;
	}

	async beforeHandleAwareness({ states, connection, document }: beforeHandleAwarenessPayload): Promise<void> {
		// Updates relayed from another instance were stamped there.
		if (!connection) return;
		const context = connection.context as CollabContext | undefined;
		// Members on a conversation, and on the workspace feed (the floor's "online now").
		if (context?.kind !== 'agent' && context?.kind !== 'feed') {
			states.clear();
			return;
		}
		const own = document.getClients(connection);
		let count = own.size;
		for (const [clientId, state] of [...states]) {
			// The usual update is from a client id this connection already holds: O(1). Only a new id
			// is looked for among the other connections (once per id, not once per update).
			if (!own.has(clientId) && (heldByAnother(document, connection, clientId) || ++count > this.maxClients)) {
				states.delete(clientId);
				continue;
			}
			// null: the client is leaving; nothing to stamp.
			if (state === null || state === undefined) continue;
			if (typeof state !== 'object' || JSON.stringify(state).length > this.maxStateBytes) {
				states.set(clientId, { user: { ...context.user } });
				continue;
			}
			state.user = { ...context.user };
		}
	}
}

function heldByAnother(document: Document, connection: Connection, clientId: number): boolean {
	for (const [other, entry] of document.connections) if (other !== connection && entry.clients.has(clientId)) return true;
	return false;
}

import type { Extension, connectedPayload, onDisconnectPayload } from '@hocuspocus/server';
import type { OnlineAgents } from '../../src/lib/server/routing.ts';
import type { CollabContext } from '../context.ts';

/**
 * Who is online, for auto-assignment (src/lib/server/routing.ts): an agent is online while they
 * hold at least one open collab connection on this instance: the workspace feed every tab of the
 * app keeps open, or a conversation's document. The
 * registry is in memory and per instance: with several instances behind a load balancer, the
 * routing job sees the agents connected to the instance it runs on.
 */
export class OnlineRegistry implements Extension, OnlineAgents {
	extensionName = 'chatmai-online';
	/** `<socketId> <documentName>` → who holds that connection. */
	private readonly connections = new Map<string, { workspaceId: string; userId: string }>();
	/** workspace → user → open connections. */
	private readonly counts = new Map<string, Map<string, number>>();

	async connected({ context, socketId, documentName }: connectedPayload<CollabContext>): Promise<void> {
		if (context?.kind !== 'agent' && context?.kind !== 'feed') return;
		const key = `${socketId} ${documentName}`;
		if (this.connections.has(key)) return;
		const who = { workspaceId: context.workspaceId, userId: context.scope.userId };
		this.connections.set(key, who);
		const users = this.counts.get(who.workspaceId) ?? new Map<string, number>();
		users.set(who.userId, (users.get(who.userId) ?? 0) + 1);
		this.counts.set(who.workspaceId, users);
	}

	async onDisconnect({ socketId, documentName }: onDisconnectPayload<CollabContext>): Promise<void> {
		const key = `${socketId} ${documentName}`;
		const who = this.connections.get(key);
		if (!who) return;
		this.connections.delete(key);
		const users = this.counts.get(who.workspaceId);
		const left = (users?.get(who.userId) ?? 1) - 1;
		if (left > 0) users!.set(who.userId, left);
		else users?.delete(who.userId);
		if (users && users.size === 0) this.counts.delete(who.workspaceId);
	}

	online(workspaceId: string): ReadonlySet<string> {
		return new Set(this.counts.get(workspaceId)?.keys() ?? []);
	}
}

import { z } from 'zod';
import { audit } from '../audit.ts';
import type { Queryable } from '../db.ts';
import type { WorkspaceScope } from '../scope.ts';
import { PARTICLES, type Particle } from './draft.ts';

/**
 * The AI settings of a workspace and of the agent in it: the Ollama model the workspace drafts
 * with (`workspaces.ai_model`, admins; empty means the server's OLLAMA_MODEL), and the polite
 * particle the AI writes Thai with for this agent (`memberships.ai_particle`, each agent their own).
 */

export interface AiSettings {
	/** The workspace's own model, or null for the server's default. */
	model: string | null;
	defaultModel: string;
	/** This agent's particle, or null: the model chooses. */
	particle: Particle | null;
}

/** An Ollama model name as `ollama pull` takes it: `name`, `name:tag`, `namespace/name:tag`. */
export const modelName = z
	.string()
	.trim()
	.max(200)
	.regex(/^(|[A-Za-z0-9][A-Za-z0-9._:/-]*)$/);

export const particleInput = z.enum([...PARTICLES, '']);

export async function getAiSettings(db: Queryable, scope: WorkspaceScope, defaultModel: string): Promise<AiSettings> {
	const { rows } = await db.query<{ ai_model: string | null; ai_particle: Particle | null }>(
		`select w.ai_model, m.ai_particle from workspaces w join memberships m on m.workspace_id = w.id and m.user_id = $2 where w.id = $1`,
		[scope.workspaceId, scope.userId]
	);
	return { model: rows[0]?.ai_model ?? null, defaultModel, particle: rows[0]?.ai_particle ?? null };
}

/** Sets the workspace's model ('' for the server's default). Admins only; audit-logged. */
export async function setWorkspaceModel(db: Queryable, scope: WorkspaceScope, raw: string, ip?: string | null): Promise<string | null> {
	scope.require('manageWorkspace');
	const model = modelName.parse(raw) || null;
	await db.query('update workspaces set ai_model = $2 where id = $1', [scope.workspaceId, model]);
	await audit(db, {
		workspaceId: scope.workspaceId,
		actorId: scope.userId,
		action: 'workspace.settings_changed',
		targetType: 'workspace',
		targetId: scope.workspaceId,
		ip,
		meta: { fields: ['aiModel'] }
	});
	return model;
}

/** Sets the agent's own particle in this workspace ('' lets the model choose). */
export async function setParticle(db: Queryable, scope: WorkspaceScope, raw: string): Promise<Particle | null> {
	const particle = particleInput.parse(raw) || null;
	await db.query('update memberships set ai_particle = $3 where workspace_id = $1 and user_id = $2', [scope.workspaceId, scope.userId, particle]);
	return particle;
}

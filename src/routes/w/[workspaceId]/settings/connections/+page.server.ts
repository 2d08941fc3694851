import { z } from 'zod';
import type { Actions, PageServerLoad } from './$types';
import { createConnection, disconnectConnection, listConnections, PLATFORM_NAMES } from '$lib/server/connections';
import { clientIp } from '$lib/server/http/request';
import { countQuarantined } from '$lib/server/quarantine';
import { appWebhookUrl, webhookScope } from '$lib/server/webhook-urls';
import { services } from '$lib/server/services';
import { refusedWith } from '$lib/server/errors';
import { failure, refused, text } from '../../../../form';
import { workspaceScope } from '../../scope';

/** The fields each platform's credentials have, read from the connector's own schema. */
function credentialFields(schema: unknown): { name: string; optional: boolean }[] {
	const shape = (schema as { shape?: Record<string, { safeParse(v: unknown): { success: boolean } }> }).shape;
	if (!shape) return [];
	return Object.entries(shape).map(([name, field]) => ({ name, optional: field.safeParse(undefined).success }));
}

export const load: PageServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	const { db, config, platforms } = services();
	const origin = config.origin ?? event.url.origin;
	return {
		connections: await listConnections(db, scope, origin),
		/** One URL per platform app (LINE's are per connection). */
		appWebhooks: PLATFORM_NAMES.filter((platform) => webhookScope(platform) === 'app').map((platform) => ({ platform, url: appWebhookUrl(origin, platform) })),
		quarantined: await countQuarantined(db, scope),
		canManage: scope.can('manageWorkspace'),
		platformFields: PLATFORM_NAMES.map((platform) => ({ platform, fields: credentialFields(platforms.describe(platform).credentialSchema) }))
	};
};

export const actions: Actions = {
	connect: async (event) => {
		const scope = await workspaceScope(event);
		const data = await event.request.formData();
		const values = { form: 'connect' as const, platform: text(data, 'platform'), name: text(data, 'name'), externalId: text(data, 'externalId') };
		if (!scope.can('manageWorkspace')) return failure(403, values, 'form.error.forbidden');
		const credentials: Record<string, string> = {};
		for (const [key, value] of data) if (key.startsWith('cred.') && typeof value === 'string' && value.trim()) credentials[key.slice(5)] = value.trim();
		const { db, keyRing, platforms, config } = services();
		try {
			const connection = await createConnection(
				{ db, keyRing, platforms, config, origin: config.origin ?? event.url.origin, ip: clientIp(event) },
				scope,
				{ platform: values.platform as (typeof PLATFORM_NAMES)[number], name: values.name, externalId: values.externalId, credentials }
			);
			return { form: 'connect' as const, created: connection.id };
		} catch (error) {
			if (error instanceof z.ZodError) return failure(400, values, 'inbox.connections.error.invalid');
			if (refusedWith(error, 'already_connected')) return failure(409, values, 'inbox.connections.error.taken');
			return refused(error, values);
		}
	},
	disconnect: async (event) => {
		const scope = await workspaceScope(event);
		const id = text(await event.request.formData(), 'id');
		if (!scope.can('manageWorkspace')) return failure(403, { form: 'list' as const }, 'form.error.forbidden');
		const { db, keyRing, platforms, config } = services();
		try {
			await disconnectConnection({ db, keyRing, platforms, config, origin: config.origin ?? event.url.origin, ip: clientIp(event) }, scope, id);
		} catch (error) {
			if (refusedWith(error, 'not_found')) return failure(404, { form: 'list' as const }, 'form.error.notFound');
			return refused(error, { form: 'list' as const });
		}
		return { form: 'list' as const, success: 'inbox.connections.disconnectedDone' as const };
	}
};

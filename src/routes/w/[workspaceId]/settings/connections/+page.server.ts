import { z } from 'zod';
import type { Actions, PageServerLoad } from './$types';
import { authorizationRedirectUri } from '$lib/server/connect-flow';
import { ConnectionError, createConnection, disconnectConnection, listConnections, PLATFORM_NAMES, testConnection, updateCredentials } from '$lib/server/connections';
import { PLATFORM_FACTS } from '$lib/platforms';
import { clientIp } from '$lib/server/http/request';
import { appCredentials, appVariables } from '$lib/server/platform-apps';
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

/** Platforms deliver webhooks and return sellers only to public HTTPS addresses. */
function originProblem(origin: string | undefined): 'missing' | 'not_public' | null {
	if (!origin) return 'missing';
	const url = new URL(origin);
	const host = url.hostname;
	const local = host === 'localhost' || host.endsWith('.local') || /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|0\.0\.0\.0|\[?::1\]?$)/.test(host);
	return url.protocol !== 'https:' || local ? 'not_public' : null;
}

const REFUSAL_KEYS = { account_mismatch: 'connect.refused.account_mismatch', unreachable: 'connect.refused.unreachable' } as const;

/** A refused identity check as the form shows it: our sentence (by code) and the platform's own words. */
function refusal(error: ConnectionError) {
	const code = error.platformCode;
	const key = REFUSAL_KEYS[code as keyof typeof REFUSAL_KEYS] ?? ('connect.refused.refused' as const);
	return { message: key, code: code ?? 'refused', detail: code === 'account_mismatch' ? '' : error.message };
}

export const load: PageServerLoad = async (event) => {
	const scope = await workspaceScope(event);
	const { db, config, platforms } = services();
	const origin = (config.origin ?? event.url.origin).replace(/\/$/, '');
	const connections = await listConnections(db, scope, origin);
	return {
		connections: connections.map((c) => ({
			...c,
			// A verify token only where the platform asks for one (Meta's subscription handshake).
			verifyToken: platforms.describe(c.platform).handshake ? c.verifyToken : null,
			authorizes: platforms.describe(c.platform).authorizes,
			webhookTest: PLATFORM_FACTS[c.platform].webhookTest
		})),
		/** One URL per platform app (LINE's are per connection). */
		appWebhooks: PLATFORM_NAMES.filter((platform) => webhookScope(platform) === 'app').map((platform) => ({ platform, url: appWebhookUrl(origin, platform) })),
		quarantined: await countQuarantined(db, scope),
		canManage: scope.can('manageWorkspace'),
		origin: config.origin ?? null,
		originProblem: originProblem(config.origin),
		platforms: PLATFORM_NAMES.map((platform) => {
			const description = platforms.describe(platform);
			return {
				platform,
				authorizes: description.authorizes,
				configured: description.authorizes ? appCredentials(config, platform) !== null : true,
				variables: appVariables(platform),
				fields: description.authorizes ? [] : credentialFields(description.credentialSchema),
				webhookUrl: description.authorizes ? appWebhookUrl(origin, platform) : null,
				redirectUrl: description.authorizes ? authorizationRedirectUri(origin, platform) : null
			};
		}),
		connectedCount: Number(event.url.searchParams.get('connected') ?? 0) || 0,
		problem: event.url.searchParams.get('problem') === 'not_configured' ? event.url.searchParams.get('platform') : null
	};
};

function connectionContext(event: Parameters<PageServerLoad>[0] | Parameters<Actions[string]>[0]) {
	const { db, keyRing, platforms, config } = services();
	return { db, keyRing, platforms, config, origin: config.origin ?? event.url.origin, ip: clientIp(event) };
}

function credentialsFrom(data: FormData): Record<string, string> {
	const credentials: Record<string, string> = {};
	for (const [key, value] of data) if (key.startsWith('cred.') && typeof value === 'string' && value.trim()) credentials[key.slice(5)] = value.trim();
	return credentials;
}

export const actions: Actions = {
	/** Platforms without an authorization page (LINE): pasted credentials, checked with the platform. */
	connect: async (event) => {
		const scope = await workspaceScope(event);
		const data = await event.request.formData();
		const values = { form: 'connect' as const, platform: text(data, 'platform'), name: text(data, 'name') };
		if (!scope.can('manageWorkspace')) return failure(403, values, 'form.error.forbidden');
		const platform = values.platform as (typeof PLATFORM_NAMES)[number];
		if (!PLATFORM_NAMES.includes(platform) || services().platforms.describe(platform).authorizes) return failure(400, values, 'inbox.connections.error.invalid');
		try {
			const connection = await createConnection(connectionContext(event), scope, { platform, name: values.name, credentials: credentialsFrom(data) });
			return { form: 'connect' as const, created: connection.id };
		} catch (error) {
			if (error instanceof z.ZodError) return failure(400, values, 'inbox.connections.error.invalid');
			if (refusedWith(error, 'already_connected')) return failure(409, values, 'inbox.connections.error.taken');
			if (refusedWith(error, 'refused')) {
				const { message, ...rest } = refusal(error as ConnectionError);
				return failure(422, { ...values, ...rest }, message);
			}
			return refused(error, values);
		}
	},
	/** New credentials in place, for connections made with pasted credentials. */
	credentials: async (event) => {
		const scope = await workspaceScope(event);
		const data = await event.request.formData();
		const id = text(data, 'id');
		const values = { form: 'credentials' as const, id };
		if (!scope.can('manageWorkspace')) return failure(403, values, 'form.error.forbidden');
		try {
			await updateCredentials(connectionContext(event), scope, id, credentialsFrom(data));
			return { form: 'credentials' as const, id, success: 'connect.card.updated' as const };
		} catch (error) {
			if (error instanceof z.ZodError) return failure(400, values, 'inbox.connections.error.invalid');
			if (refusedWith(error, 'not_found')) return failure(404, values, 'form.error.notFound');
			if (refusedWith(error, 'refused')) {
				const { message, ...rest } = refusal(error as ConnectionError);
				return failure(422, { ...values, ...rest }, message);
			}
			return refused(error, values);
		}
	},
	/** "Send test": the platform sends a test event to this connection's webhook URL; the card words its answer. */
	test: async (event) => {
		const scope = await workspaceScope(event);
		const id = text(await event.request.formData(), 'id');
		const values = { form: 'test' as const, id };
		if (!scope.can('manageWorkspace')) return failure(403, values, 'form.error.forbidden');
		try {
			const result = await testConnection(connectionContext(event), scope, id);
			const message = result.success ? 'connect.test.ok' : result.statusCode ? 'connect.test.errorStatus' : 'connect.test.unreachable';
			return { ...values, ok: result.success, message, status: result.statusCode ?? 0, detail: result.detail } as const;
		} catch (error) {
			if (refusedWith(error, 'not_found')) return failure(404, values, 'form.error.notFound');
			if (refusedWith(error, 'refused')) return failure(422, { ...values, detail: (error as Error).message }, 'connect.test.refused');
			if (refusedWith(error, 'unreachable')) return failure(503, values, 'connect.test.failed');
			return refused(error, values);
		}
	},
	disconnect: async (event) => {
		const scope = await workspaceScope(event);
		const id = text(await event.request.formData(), 'id');
		if (!scope.can('manageWorkspace')) return failure(403, { form: 'list' as const }, 'form.error.forbidden');
		try {
			await disconnectConnection(connectionContext(event), scope, id);
		} catch (error) {
			if (refusedWith(error, 'not_found')) return failure(404, { form: 'list' as const }, 'form.error.notFound');
			return refused(error, { form: 'list' as const });
		}
		return { form: 'list' as const, success: 'inbox.connections.disconnectedDone' as const };
	}
};

import { expect } from 'vitest';
import * as Y from 'yjs';
import { HocuspocusProvider } from '@hocuspocus/provider';
import type pg from 'pg';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { uniqueEmail } from '../helpers/db.ts';
import { signedWebhook, startFakePlatform, uniqueAccountId, type FakeEvent, type FakePlatform, type SignedWebhook } from '../fakes/platforms.ts';
import { conversationDocName, readMessages, type LiveMessage } from '../../src/lib/conversation-doc.ts';
import type { ConnectionView } from '../../src/lib/server/connections.ts';
import { PLATFORMS as ALL_PLATFORMS, type Platform } from '../../connectors/types.ts';
import { getConnector } from '../../connectors/registry.ts';

/** The pipeline's tests drive the real server: real HTTP, real PostgreSQL, the real collab server. */

export const PLATFORMS: Platform[] = [...ALL_PLATFORMS];

export function startPipelineApp(env: Record<string, string> = {}): Promise<RunningApp> {
	return startTestApp({ CHATMAI_SIGNUP_LIMIT_PER_HOUR: '100000', LOG_LEVEL: process.env.PIPELINE_TEST_LOG ?? 'error', ...env });
}

export interface Owner {
	client: Client;
	token: string;
	workspaceId: string;
	userId: string;
}

export async function signUpOwner(app: RunningApp): Promise<Owner> {
	const client = new Client(app.url);
	const res = await client.post('/api/v1/auth/signup', { email: uniqueEmail('pipeline'), password: 'correct horse battery', name: 'Ploy', workspaceName: 'Ploy Shop' });
	expect(res.status).toBe(201);
	const bearer = new Client(app.url);
	bearer.bearer = res.json.token;
	return { client: bearer, token: res.json.token, workspaceId: res.json.workspace.id, userId: res.json.user.id };
}

/** Connects `fake`'s account through the REST API, with API calls pointed at the fake. */
export async function connect(owner: Owner, fake: FakePlatform, credentials: unknown = fake.credentials): Promise<ConnectionView> {
	const res = await owner.client.post('/api/v1/connections', {
		platform: fake.platform,
		name: `Test ${fake.platform}`,
		externalId: fake.config.externalId,
		credentials,
		settings: fake.config.settings,
		apiBaseUrl: fake.baseUrl
	});
	expect(res.status, JSON.stringify(res.json)).toBe(201);
	return res.json.connection;
}

export interface Connected {
	fake: FakePlatform;
	connection: ConnectionView;
}

/**
 * A fake platform for an account of its own: an account is connected once in the whole database
 * (migration 0013), and the test files share one.
 */
export function startFake(platform: Platform): Promise<FakePlatform> {
	return startFakePlatform(platform, { accountId: uniqueAccountId(platform) });
}

export async function connectAll(owner: Owner, platforms = PLATFORMS): Promise<Record<Platform, Connected>> {
	const out = {} as Record<Platform, Connected>;
	for (const platform of platforms) {
		const fake = await startFake(platform);
		out[platform] = { fake, connection: await connect(owner, fake) };
	}
	return out;
}

/** A webhook for the connection's account, signed for its webhook URL (the one to paste). */
export function webhookFor(connected: Connected, event: FakeEvent, redelivery = false): SignedWebhook {
	return signedWebhook(connected.fake.platform, { event, webhookUrl: connected.connection.webhookUrl, redelivery, accountId: connected.connection.externalId });
}

/**
 * Waits until the worker has fetched this customer's profile, where the platform has profiles (LINE,
 * Messenger, Instagram): a test that makes the fake's next call fail must not have it spent on that.
 */
export async function profileFetched(connected: Connected, customerId: string): Promise<void> {
	if (!getConnector(connected.fake.platform).profile) return;
	await waitFor(
		() => connected.fake.requests.some((r) => r.method === 'GET' && r.path.endsWith(`/${customerId}`) && r.status !== undefined),
		'the customer’s profile fetch'
	);
}

export async function deliver(url: string, webhook: Pick<SignedWebhook, 'headers' | 'body'>): Promise<Response> {
	return fetch(url, { method: 'POST', headers: webhook.headers, body: new Uint8Array(webhook.body) });
}

/** Polls until `check` returns something truthy. */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 15_000): Promise<NonNullable<T>> {
	const deadline = Date.now() + timeoutMs;
	let last: unknown;
	for (;;) {
		try {
			const value = await check();
			if (value) return value as NonNullable<T>;
		} catch (error) {
			last = error;
		}
		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
		await new Promise((resolve) => setTimeout(resolve, 25));
	}
}

export interface StoredMessage {
	id: string;
	conversation_id: string;
	direction: 'in' | 'out';
	sender_type: string;
	body: string;
	platform_message_id: string | null;
	delivery_state: string | null;
	delivery_error: string | null;
}

export async function messagesOf(db: pg.Pool, connectionId: string): Promise<StoredMessage[]> {
	const { rows } = await db.query<StoredMessage>(
		`select id, conversation_id, direction, sender_type, body, platform_message_id, delivery_state, delivery_error
		   from messages where connection_id = $1 order by sent_at, id`,
		[connectionId]
	);
	return rows;
}

/** An agent's view of a conversation document, over the app's real /collab WebSocket. */
export interface DocClient {
	doc: Y.Doc;
	messages(): LiveMessage[];
	close(): void;
}

export async function openDocument(app: RunningApp, token: string, conversationId: string): Promise<DocClient> {
	const doc = new Y.Doc();
	let synced!: () => void;
	let failed!: (e: Error) => void;
	const ready = new Promise<void>((resolve, reject) => {
		synced = resolve;
		failed = reject;
	});
	const provider = new HocuspocusProvider({
		url: app.url.replace(/^http/, 'ws') + '/collab',
		name: conversationDocName(conversationId),
		token,
		document: doc,
		onSynced: () => synced(),
		onAuthenticationFailed: ({ reason }) => failed(new Error(reason))
	});
	await ready;
	return {
		doc,
		// As the UI reads it: the window with each message's current delivery state.
		messages: () => readMessages(doc),
		close() {
			provider.destroy();
			doc.destroy();
		}
	};
}

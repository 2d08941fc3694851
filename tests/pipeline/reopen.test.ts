import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from '../../server/app.ts';
import { testPool } from '../helpers/db.ts';
import { readMeta } from '../../src/lib/conversation-doc.ts';
import { connectAll, deliver, messagesOf, openDocument, signUpOwner, waitFor, webhookFor, type Connected, type Owner } from './harness.ts';

/**
 * The status command's system form in the ingest worker: a customer writing again into a resolved
 * or snoozed conversation reopens it, in PostgreSQL with its reason and in the open document.
 */

let app: RunningApp;
let owner: Owner;
let line: Connected;
const db = testPool();

beforeAll(async () => {
	app = await (await import('./harness.ts')).startPipelineApp();
	owner = await signUpOwner(app);
	line = (await connectAll(owner, ['line'])).line;
});
afterAll(async () => {
	await app.close();
	await line?.fake.close();
	await db.end();
});

async function customerWrites(customerId: string, text: string): Promise<string> {
	expect((await deliver(line.connection.webhookUrl, webhookFor(line, { kind: 'message', customerId, text }))).status).toBe(200);
	const message = await waitFor(async () => (await messagesOf(db, line.connection.id)).find((m) => m.body === text), 'the message row');
	return message.conversation_id;
}

describe('a customer writing again', () => {
	it.each(['resolved', 'snoozed'] as const)('reopens a %s conversation, with the reason in its history, and the open document shows it', async (was) => {
		const customerId = `cust-${crypto.randomUUID()}`;
		const conversationId = await customerWrites(customerId, `Hello (${was})`);
		const headers = { 'x-workspace-id': owner.workspaceId };
		const set =
			was === 'resolved'
				? await owner.client.post(`/api/v1/conversations/${conversationId}/status`, { status: 'resolved' }, headers)
				: await owner.client.post(`/api/v1/conversations/${conversationId}/snooze`, { until: new Date(Date.now() + 86_400_000).toISOString() }, headers);
		expect(set.status).toBe(200);
		const doc = await openDocument(app, owner.token, conversationId);
		try {
			expect(readMeta(doc.doc).status).toBe(was);
			await customerWrites(customerId, `Are you there? (${was})`);
			await waitFor(() => readMeta(doc.doc).status === 'open' && readMeta(doc.doc).snoozedUntil === null, 'open in the document');
			const { rows } = await db.query('select status, snoozed_until from conversations where id = $1', [conversationId]);
			expect(rows[0]).toEqual({ status: 'open', snoozed_until: null });
			const events = await db.query(`select actor_id, data from conversation_events where conversation_id = $1 and kind = 'status' order by created_at, id`, [
				conversationId
			]);
			expect(events.rows.at(-1)).toEqual({ actor_id: null, data: { from: was, to: 'open', reason: 'customer_message' } });
		} finally {
			doc.close();
		}
	});
});

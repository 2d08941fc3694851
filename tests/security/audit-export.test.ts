import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import type { RunningApp } from '../../server/app.ts';
import { Client, startTestApp } from '../helpers/app.ts';
import { testPool, uniqueEmail } from '../helpers/db.ts';
import { seedConversation } from '../helpers/seed.ts';
import { conversationDoc, conversationDocName } from '../../src/lib/conversation-doc.ts';

/** Issue 11, low items: the API log-out is audited, and shared reply drafts are in the workspace export. */
let app: RunningApp;
const db = testPool(2);

beforeAll(async () => {
	app = await startTestApp();
});
afterAll(async () => {
	await app.close();
	await db.end();
});

async function signUp() {
	const client = new Client(app.url);
	const res = await client.post('/api/v1/auth/signup', { email: uniqueEmail('audit'), password: 'correct horse battery', name: 'Nok', workspaceName: 'Nok Shop' });
	expect(res.status).toBe(201);
	return { client, userId: res.json.user.id as string, workspaceId: res.json.workspace.id as string };
}

describe('the audit log and the export leave nothing out', () => {
	it('audit-logs a log-out through the API, with its address', async () => {
		const { client, userId } = await signUp();
		expect((await client.post('/api/v1/auth/logout')).status).toBe(200);
		const { rows } = await db.query(`select ip from audit_log where actor_id = $1 and action = 'auth.logout'`, [userId]);
		expect(rows).toHaveLength(1);
		expect(rows[0].ip).toBeTruthy();
	});

	it('exports the shared reply draft of a conversation', async () => {
		const { client, workspaceId } = await signUp();
		const conn = await db.query(
			`insert into platform_connections (workspace_id, platform, name, external_id) values ($1, 'line', 'LINE OA', $2) returning id`,
			[workspaceId, crypto.randomUUID()]
		);
		const conversationId = await seedConversation(db, { workspaceId, connectionId: conn.rows[0].id }, { customer: 'Kanya', messages: ['hello'] });
		const doc = new Y.Doc();
		const paragraph = new Y.XmlElement('paragraph');
		paragraph.insert(0, [new Y.XmlText('Your parcel ships tomorrow — draft-marker-7')]);
		conversationDoc(doc).draft.insert(0, [paragraph]);
		await db.query(`insert into collab_documents (name, workspace_id, state) values ($1, $2, $3)`, [
			conversationDocName(conversationId),
			workspaceId,
			Buffer.from(Y.encodeStateAsUpdate(doc))
		]);
		const res = await client.get('/api/v1/export');
		expect(res.status).toBe(200);
		console.log(`drafts exported: ${JSON.stringify(res.json.drafts)}`);
		expect(res.json.drafts).toEqual([expect.objectContaining({ conversationId, text: expect.stringContaining('draft-marker-7') })]);
	});
});

import { afterAll, describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { testPool, uniqueEmail } from '../../../../tests/helpers/db.ts';
import { issueCollabTicket, readCollabTicket, COLLAB_TICKET_SECONDS } from './collab-ticket.ts';
import { authenticate } from './principal.ts';
import { createSession, invalidateSession } from './session.ts';

const db = testPool();
afterAll(() => db.end());
const secret = randomBytes(32);

async function session() {
	const { rows } = await db.query(`insert into users (email, name, password_hash) values ($1, 'T', 'x') returning id`, [uniqueEmail('ticket')]);
	return createSession(db, rows[0].id, null);
}

describe('collab tickets', () => {
	it('name their session until they expire, and only with the right key', async () => {
		const { session: s } = await session();
		const now = Date.now();
		const { ticket } = issueCollabTicket(secret, s.id, now);
		expect(readCollabTicket(secret, ticket, now)).toBe(s.id);
		expect(readCollabTicket(randomBytes(32), ticket, now)).toBeNull();
		expect(readCollabTicket(secret, ticket, now + (COLLAB_TICKET_SECONDS + 1) * 1000)).toBeNull();
		const [payload, mac] = ticket.split('.');
		const forged = Buffer.from(JSON.stringify({ s: 'someone-else', e: 9999999999 })).toString('base64url');
		expect(readCollabTicket(secret, `ct_${forged}.${mac}`, now)).toBeNull();
		expect(readCollabTicket(secret, `${payload}.x`, now)).toBeNull();
	});

	it('authenticate only where the key is given, and die with their session', async () => {
		const { session: s } = await session();
		const { ticket } = issueCollabTicket(secret, s.id);
		expect(await authenticate(db, ticket)).toBeNull();
		expect(await authenticate(db, ticket, { ticketSecret: secret })).toMatchObject({ kind: 'session', credentialId: s.id });
		await invalidateSession(db, s.id);
		expect(await authenticate(db, ticket, { ticketSecret: secret })).toBeNull();
	});
});

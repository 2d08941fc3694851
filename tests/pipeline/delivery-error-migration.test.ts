import { readFileSync } from 'node:fs';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scratchDatabase, type ScratchDatabase } from '../helpers/db.ts';

/**
 * Migration 0015 turns the English sentences stored in `messages.delivery_error` before it into codes.
 * Its Up section runs here, as written, over a messages table holding the sentences the outbox worker,
 * the reply window and a disconnect used to store.
 */

const up = readFileSync(new URL('../../migrations/0015_change_delivery_error_to_code.sql', import.meta.url), 'utf8').split('-- Down Migration')[0];

let scratch: ScratchDatabase;
let client: pg.Client;

beforeAll(async () => {
	scratch = await scratchDatabase('delivery_codes');
	client = new pg.Client({ connectionString: scratch.url });
	await client.connect();
});

afterAll(async () => {
	await client?.end();
	await scratch?.drop();
});

describe('migration 0015 on the sentences stored before it', () => {
	it('gives each old sentence its code, keeping the technical part as detail', async () => {
		const old = [
			'Gave up after 6 tries: network error calling 127.0.0.1:4010/v2/bot/message/push',
			'Gave up after 3 tries: unexpected error: boom',
			'The connection was disconnected',
			"Messenger allows replies for 7 days after the customer's last message. It closed at 2026-03-09 03:00 UTC. The customer has to write again first.",
			'Shopee lets you reply only after the customer has written to you.',
			'(#10) This message is sent outside of allowed window.',
			null
		];
		await client.query('create table messages (n int primary key, delivery_error text)');
		await client.query('insert into messages select * from unnest($1::int[], $2::text[])', [old.map((_, i) => i), old]);
		await client.query(up);
		const { rows } = await client.query<{ delivery_error: unknown }>('select delivery_error from messages order by n');
		expect(rows.map((r) => r.delivery_error)).toEqual([
			{ code: 'platform_unreachable', attempts: 6, detail: 'network error calling 127.0.0.1:4010/v2/bot/message/push' },
			{ code: 'internal', attempts: 3, detail: 'unexpected error: boom' },
			{ code: 'disconnected' },
			{ code: 'window_closed', detail: old[3] },
			{ code: 'no_customer_message' },
			{ code: 'platform_refused', detail: '(#10) This message is sent outside of allowed window.' },
			null
		]);
	});
});

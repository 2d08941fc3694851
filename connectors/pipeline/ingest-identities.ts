import { randomUUID } from 'node:crypto';
import type pg from 'pg';
import type { ClaimedEvent, MessageItem } from './ingest-messages.ts';

/** A customer's identity on one connection, and the contact it belongs to. */
export interface Identity {
	id: string;
	contact_id: string;
}

/**
 * The identity (and contact) of every customer the batch names, by `connection|externalId`. Known
 * ones in one select; new ones in one insert that creates the contact only for an identity it
 * really inserted (both in one statement; the foreign key is checked at its end), so a concurrent
 * first message never leaves an orphan contact; what a concurrent batch inserted meanwhile is read
 * after.
 */
export async function upsertIdentities(client: pg.PoolClient, items: MessageItem[]): Promise<Map<string, Identity>> {
	const wanted = new Map<string, { row: ClaimedEvent; customer: { externalId: string; name?: string } }>();
	for (const { row, event } of items) {
		if (!event.customer) continue;
		const k = `${row.connection_id}|${event.customer.externalId}`;
		const known = wanted.get(k);
		if (!known || (!known.customer.name && event.customer.name)) wanted.set(k, { row, customer: event.customer });
	}
	const found = new Map<string, Identity>();
	if (wanted.size === 0) return found;
	const select = async (keys: string[]) => {
		const list = keys.map((k) => wanted.get(k)!);
		const { rows } = await client.query<Identity & { connection_id: string; external_id: string }>(
			`select ci.id, ci.contact_id, ci.connection_id, ci.external_id from contact_identities ci
			   join unnest($1::uuid[], $2::text[]) as u (connection_id, external_id) on ci.connection_id = u.connection_id and ci.external_id = u.external_id`,
			[list.map((w) => w.row.connection_id), list.map((w) => w.customer.externalId)]
		);
		for (const r of rows) found.set(`${r.connection_id}|${r.external_id}`, { id: r.id, contact_id: r.contact_id });
	};
	await select([...wanted.keys()]);
	const missing = [...wanted.keys()].filter((k) => !found.has(k)).sort();
	if (missing.length === 0) return found;
	const list = missing.map((k) => wanted.get(k)!);
	const { rows } = await client.query<Identity & { connection_id: string; external_id: string }>(
		`with input as (
		   select * from unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::text[], $6::text[], $7::text[])
		          as u (workspace_id, contact_id, connection_id, platform, external_id, name, display_name)
		 ), identity as (
		   insert into contact_identities (workspace_id, contact_id, connection_id, platform, external_id, profile)
		   select workspace_id, contact_id, connection_id, platform, external_id,
		          case when name is null then '{}'::jsonb else jsonb_build_object('name', name) end
		     from input order by connection_id, external_id
		   on conflict (connection_id, external_id) do nothing
		   returning id, contact_id, connection_id, external_id
		 ), contact as (
		   insert into contacts (id, workspace_id, display_name)
		   select identity.contact_id, input.workspace_id, input.display_name
		     from identity join input on input.contact_id = identity.contact_id
		   returning id
		 )
		 select identity.* from identity where exists (select 1 from contact where contact.id = identity.contact_id)`,
		[
			list.map((w) => w.row.workspace_id),
			list.map(() => randomUUID()),
			list.map((w) => w.row.connection_id),
			list.map((w) => w.row.platform),
			list.map((w) => w.customer.externalId),
			list.map((w) => w.customer.name?.trim() || null),
			list.map((w) => (w.customer.name?.trim() || `${w.row.platform} customer ${w.customer.externalId.slice(-4)}`).slice(0, 120))
		]
	);
	for (const r of rows) found.set(`${r.connection_id}|${r.external_id}`, { id: r.id, contact_id: r.contact_id });
	const raced = missing.filter((k) => !found.has(k));
	if (raced.length > 0) await select(raced);
	return found;
}

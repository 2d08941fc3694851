-- Up Migration
-- The changes feed (GET /api/v1/conversations/changes) paged on updated_at = now(), the time its
-- transaction started: a transaction that started first and committed last wrote rows "in the
-- past" of a cursor already handed out, and they were skipped. Each row now carries the id of the
-- transaction that last wrote it (change_xid), and the feed reads only below the oldest transaction
-- still running in this database (conversation_feed_horizon): every row under that line is
-- committed and no new one can appear there. change_seq orders the writes of one row (its writers hold the row lock in turn),
-- so a browser receiving two pushed versions of a row keeps the later one.
create sequence conversation_change_seq;

alter table conversations
	add column change_seq bigint not null default nextval('conversation_change_seq'),
	add column change_xid xid8 not null default pg_current_xact_id();

create function conversations_stamp_change() returns trigger language plpgsql as $$
begin
	new.change_seq := nextval('conversation_change_seq');
	new.change_xid := pg_current_xact_id();
	return new;
end
$$;

create trigger conversations_stamp_change before update on conversations
	for each row execute function conversations_stamp_change();

-- The oldest transaction id still running that may have written this database: the snapshot's
-- running transactions, less those pg_stat_activity shows in another database of the server (a
-- test cluster or a shared server runs many; they cannot write these rows). One it cannot place
-- (finished meanwhile, prepared, hidden by permissions) counts, so the answer is never too high.
create function conversation_feed_horizon() returns xid8 language sql volatile as $$
	with snap as (select pg_current_snapshot() as s),
	elsewhere as (
		select backend_xid::text as xid from pg_stat_activity
		 where backend_xid is not null and datname is distinct from current_database()
	)
	select coalesce(min(x), (select pg_snapshot_xmax(s) from snap))
	  from snap, pg_snapshot_xip(snap.s) as x
	 where (x::text::numeric % 4294967296)::text not in (select xid from elsewhere)
$$;

create index conversations_feed_idx on conversations (workspace_id, change_xid, id);

-- Alerts (issue 13, item 4), per user: a sound, and a desktop notification (the browser asks for
-- permission once, when the user turns it on).
alter table users
	add column alert_sound boolean not null default true,
	add column alert_desktop boolean not null default false;

-- A reply that failed in the end is notified to the member who wrote it.
alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in ('mention', 'assigned', 'snooze_ended', 'connection_reauthorize', 'send_failed'));

-- A conversation with a reply that failed in the end is marked on its list row and found with the
-- list's "failed" filter: how many of its messages are failed now, kept by trigger whoever changes
-- a delivery state (the outbox worker, a retry, a disconnected connection, retention).
alter table conversations add column failed_replies integer not null default 0;
update conversations c set failed_replies = f.n
  from (select conversation_id, count(*)::int as n from messages where delivery_state = 'failed' group by conversation_id) f
 where f.conversation_id = c.id;

create function messages_count_failed() returns trigger language plpgsql as $$
declare
	delta integer := 0;
	conversation uuid;
begin
	if tg_op in ('UPDATE', 'DELETE') and old.delivery_state = 'failed' then
		delta := delta - 1;
		conversation := old.conversation_id;
	end if;
	if tg_op in ('INSERT', 'UPDATE') and new.delivery_state = 'failed' then
		delta := delta + 1;
		conversation := new.conversation_id;
	end if;
	if delta <> 0 then
		update conversations set failed_replies = greatest(failed_replies + delta, 0), updated_at = now() where id = conversation;
	end if;
	return null;
end
$$;

create trigger messages_count_failed after insert or update of delivery_state or delete on messages
	for each row execute function messages_count_failed();

create index conversations_failed_idx on conversations (workspace_id) where failed_replies > 0;

-- Web Push: each browser (a phone with the app installed) a member asked to be alerted on while
-- ChatMai is closed. Removed when the push service says it is gone (404/410) or the user says so.
create table push_subscriptions (
	id uuid primary key default gen_random_uuid(),
	user_id uuid not null references users (id) on delete cascade,
	endpoint text not null unique check (length(endpoint) <= 2000),
	p256dh text not null check (length(p256dh) <= 200),
	auth text not null check (length(auth) <= 100),
	created_at timestamptz not null default now()
);
create index push_subscriptions_user_idx on push_subscriptions (user_id);

-- Down Migration

-- Up Migration
-- The changes feed (GET /api/v1/conversations/changes) paged on updated_at = now(), the time its
-- transaction started: a transaction that started first and committed last wrote rows "in the
-- past" of a cursor already handed out, and they were skipped. Each row now carries the id of the
-- transaction that last wrote it (change_xid), and the feed reads only below the oldest transaction
-- still running (pg_snapshot_xmin): every row under that line is committed and no new one can
-- appear there. change_seq orders the writes of one row (its writers hold the row lock in turn),
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

create index conversations_feed_idx on conversations (workspace_id, change_xid, id);

-- Down Migration

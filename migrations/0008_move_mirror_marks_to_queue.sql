-- Up Migration
-- Which messages still have to be written into their live conversation document, with the delivery
-- state to write. Before this, `messages.mirrored_at` said so on the message row itself: marking a
-- row mirrored was an update that a partial index on `mirrored_at` made non-HOT, so every message
-- was indexed twice, both GIN search indexes included. Now a message waiting to be mirrored has a
-- small row here, inserted in the transaction that writes or changes the message and deleted once
-- its document has that state; messages are not updated to record it. The delivery state rides
-- along so that a change racing the delete keeps its row (the delete is guarded by the state, and
-- the change's upsert locks the row the delete must then re-check).
-- workspace_id is the message's, for scoping; deletes follow the message (cascade).
create table message_mirror_queue (
	message_id uuid primary key references messages (id) on delete cascade,
	workspace_id uuid not null,
	delivery_state text,
	queued_at timestamptz not null default now()
);
create index message_mirror_queue_queued_idx on message_mirror_queue (queued_at);

insert into message_mirror_queue (message_id, workspace_id, delivery_state, queued_at)
select id, workspace_id, delivery_state, created_at from messages where mirrored_at is null;

drop index messages_unmirrored_idx;
alter table messages drop column mirrored_at;

-- Down Migration

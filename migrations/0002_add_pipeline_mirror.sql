-- Up Migration
-- The webhook pipeline (connectors/pipeline/README.md).
--
-- messages.mirrored_at: when the row, as it is now, was last written into its live conversation
-- document. The ingest and outbox workers commit the row first and mirror it after; a crash in
-- between leaves mirrored_at null, and the mirror sweep replays it (appends are idempotent by
-- message id). Any change of delivery_state sets it back to null in the same statement. Rows that
-- other writers insert are taken as mirrored (the default), so only the pipeline's rows are swept.
alter table messages add column mirrored_at timestamptz;
update messages set mirrored_at = created_at;
alter table messages alter column mirrored_at set default now();
create index messages_unmirrored_idx on messages (created_at) where mirrored_at is null;

-- Orders are looked up by the customer's id on the shop, which an order push names before any
-- conversation exists.
alter table orders add column customer_external_id text;
create index orders_customer_idx on orders (connection_id, customer_external_id, placed_at desc);

-- LINE's one-shot reply token of the customer's latest message (valid about a minute, used once);
-- a later reply is pushed instead.
alter table conversations add column reply_token text;
alter table conversations add column reply_token_at timestamptz;

-- The ingest worker gives up on an event after a few attempts; this finds them for an operator.
create index inbound_events_failed_idx on inbound_events (connection_id, received_at) where last_error is not null;

-- Down Migration

-- Up Migration
-- The dashboard (src/lib/server/reports.ts) reads one workspace's messages, new conversations and
-- notes over a period: each is an index range per workspace instead of a scan of the whole table.
-- Messages by sent_at (the platform's time, which decides the day a message belongs to), not by
-- created_at: history fetched late keeps the day it was written.
create index messages_workspace_sent_idx on messages (workspace_id, sent_at);
create index conversations_created_idx on conversations (workspace_id, created_at) include (platform);
create index notes_workspace_idx on notes (workspace_id, created_at);

-- Down Migration

-- Up Migration
-- The live inbox polls for conversations changed since its last look (new message, status,
-- assignee, labels all set updated_at): this keeps that a short index range scan per workspace.
create index conversations_changes_idx on conversations (workspace_id, updated_at, id);

-- Down Migration

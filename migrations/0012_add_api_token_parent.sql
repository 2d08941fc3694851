-- Up Migration
-- A token made with another token lives no longer than its parent (issue 11): its expiry is
-- capped at the parent's when it is made, and revoking the parent revokes it. Null for tokens
-- made from a signed-in session.
alter table api_tokens add column parent_id uuid references api_tokens (id) on delete cascade;
create index api_tokens_parent_idx on api_tokens (parent_id) where parent_id is not null;

-- Down Migration

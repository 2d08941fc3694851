-- Up Migration
-- Auto-assignment (routing) per workspace, off by default, and the workspace's business hours.
--
-- routing_settings: one row per workspace that has ever opened the Routing page; no row means off.
--   mode: 'off', 'round_robin' (each online agent in turn) or 'least_loaded' (fewest open conversations).
--   reoffer_minutes: an automatically assigned conversation whose customer is still unanswered this
--   long after the assignment is offered to the next agent (null: never).
--   business_hours_only: route only while the workspace is open (business_hours below).
--   last_assignee_id: where round-robin continues.
create table routing_settings (
	workspace_id uuid primary key references workspaces (id) on delete cascade,
	mode text not null default 'off' check (mode in ('off', 'round_robin', 'least_loaded')),
	reoffer_minutes integer check (reoffer_minutes is null or reoffer_minutes between 1 and 1440),
	business_hours_only boolean not null default false,
	last_assignee_id uuid references users (id) on delete set null,
	updated_at timestamptz not null default now()
);

-- An agent's capacity (null: no limit) and their own pause: an away agent is never routed to.
alter table memberships add column max_open_conversations integer
	check (max_open_conversations is null or max_open_conversations between 1 and 1000);
alter table memberships add column away_since timestamptz;

-- Weekly opening hours in the workspace's time zone (workspaces.time_zone). weekday: 0 Sunday … 6
-- Saturday, as PostgreSQL's extract(dow). A day without rows is closed; a workspace without rows at
-- all has no hours set (always open).
create table business_hours (
	id bigint generated always as identity primary key,
	workspace_id uuid not null references workspaces (id) on delete cascade,
	weekday smallint not null check (weekday between 0 and 6),
	opens_at time not null,
	closes_at time not null,
	check (opens_at < closes_at)
);
create index business_hours_workspace_idx on business_hours (workspace_id, weekday);

-- Days the shop is closed whatever the weekday (a public holiday), as dates in its time zone.
create table business_holidays (
	workspace_id uuid not null references workspaces (id) on delete cascade,
	day date not null,
	primary key (workspace_id, day)
);

-- The routing job's question, "which unassigned conversations are waiting?", per workspace.
create index conversations_unassigned_idx on conversations (workspace_id, created_at) where assignee_id is null and status = 'open';

-- Re-offering reads each conversation's latest assignment event.
create index conversation_events_conversation_idx on conversation_events (conversation_id, id desc);

-- Down Migration

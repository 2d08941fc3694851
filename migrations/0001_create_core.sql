-- Up Migration
-- The core model of ChatMai. Every row that belongs to a workspace carries workspace_id, so that
-- the one scoping layer (src/lib/server/scope.ts) can add it to every read and write.

create table users (
	id uuid primary key default gen_random_uuid(),
	email text not null,
	name text not null,
	password_hash text not null,
	locale text not null default 'en' check (locale in ('en', 'th')),
	created_at timestamptz not null default now(),
	updated_at timestamptz not null default now(),
	constraint users_email_shape check (position('@' in email) > 1 and length(email) <= 254),
	constraint users_name_length check (length(name) between 1 and 120)
);
create unique index users_email_key on users (lower(email));

create table workspaces (
	id uuid primary key default gen_random_uuid(),
	name text not null check (length(name) between 1 and 120),
	time_zone text not null default 'Asia/Bangkok',
	retention_days integer not null default 365 check (retention_days between 1 and 3650),
	created_at timestamptz not null default now(),
	deletion_requested_at timestamptz
);

-- Sessions follow Lucia's documented scheme: the client holds "<id>.<secret>"; only the id and
-- the SHA-256 of the secret are stored, and the secret is compared in constant time.
create table sessions (
	id text primary key,
	secret_hash text not null check (length(secret_hash) = 64),
	user_id uuid not null references users (id) on delete cascade,
	workspace_id uuid references workspaces (id) on delete set null,
	expires_at timestamptz not null,
	created_at timestamptz not null default now(),
	ip text,
	user_agent text
);
create index sessions_user_id_idx on sessions (user_id);
create index sessions_expires_at_idx on sessions (expires_at);

create table memberships (
	workspace_id uuid not null references workspaces (id) on delete cascade,
	user_id uuid not null references users (id) on delete cascade,
	role text not null check (role in ('owner', 'admin', 'agent', 'supervisor')),
	created_at timestamptz not null default now(),
	primary key (workspace_id, user_id)
);
create index memberships_user_id_idx on memberships (user_id);

create table invitations (
	id uuid primary key default gen_random_uuid(),
	workspace_id uuid not null references workspaces (id) on delete cascade,
	email text,
	role text not null check (role in ('admin', 'agent', 'supervisor')),
	token_hash text not null unique,
	invited_by uuid references users (id) on delete set null,
	expires_at timestamptz not null,
	accepted_at timestamptz,
	accepted_by uuid references users (id) on delete set null,
	revoked_at timestamptz,
	created_at timestamptz not null default now()
);
create index invitations_workspace_id_idx on invitations (workspace_id, created_at desc);

create table api_tokens (
	id uuid primary key default gen_random_uuid(),
	user_id uuid not null references users (id) on delete cascade,
	workspace_id uuid not null references workspaces (id) on delete cascade,
	name text not null check (length(name) between 1 and 80),
	token_hash text not null unique,
	prefix text not null,
	last_used_at timestamptz,
	expires_at timestamptz,
	revoked_at timestamptz,
	created_at timestamptz not null default now()
);
create index api_tokens_user_idx on api_tokens (user_id, workspace_id);

create table platform_connections (
	id uuid primary key default gen_random_uuid(),
	workspace_id uuid not null references workspaces (id) on delete cascade,
	platform text not null check (platform in ('facebook', 'instagram', 'line', 'shopee', 'lazada', 'tiktok')),
	name text not null check (length(name) between 1 and 120),
	external_id text not null,
	verify_token text,
	status text not null default 'active' check (status in ('active', 'disconnected')),
	settings jsonb not null default '{}',
	created_by uuid references users (id) on delete set null,
	created_at timestamptz not null default now(),
	disconnected_at timestamptz
);
create unique index platform_connections_active_key
	on platform_connections (workspace_id, platform, external_id) where status = 'active';

-- Encrypted platform tokens, apart from everything else: AES-256-GCM blobs and the id of the key
-- that sealed them. Deleted at once on disconnect.
create table platform_credentials (
	connection_id uuid primary key references platform_connections (id) on delete cascade,
	workspace_id uuid not null references workspaces (id) on delete cascade,
	key_id text not null,
	iv bytea not null check (length(iv) = 12),
	ciphertext bytea not null,
	auth_tag bytea not null check (length(auth_tag) = 16),
	created_at timestamptz not null default now(),
	rotated_at timestamptz
);

create table contacts (
	id uuid primary key default gen_random_uuid(),
	workspace_id uuid not null references workspaces (id) on delete cascade,
	display_name text not null,
	avatar_url text,
	created_at timestamptz not null default now(),
	updated_at timestamptz not null default now()
);
create index contacts_workspace_idx on contacts (workspace_id);

create table contact_identities (
	id uuid primary key default gen_random_uuid(),
	workspace_id uuid not null references workspaces (id) on delete cascade,
	contact_id uuid not null references contacts (id) on delete cascade,
	connection_id uuid not null references platform_connections (id) on delete cascade,
	platform text not null,
	external_id text not null,
	profile jsonb not null default '{}',
	created_at timestamptz not null default now(),
	unique (connection_id, external_id)
);
create index contact_identities_contact_idx on contact_identities (contact_id);

create table conversations (
	id uuid primary key default gen_random_uuid(),
	workspace_id uuid not null references workspaces (id) on delete cascade,
	connection_id uuid not null references platform_connections (id) on delete cascade,
	contact_id uuid not null references contacts (id) on delete cascade,
	contact_identity_id uuid not null references contact_identities (id) on delete cascade,
	platform text not null,
	external_thread_id text not null,
	status text not null default 'open' check (status in ('open', 'pending', 'snoozed', 'resolved')),
	snoozed_until timestamptz,
	assignee_id uuid references users (id) on delete set null,
	labels text[] not null default '{}',
	last_message_at timestamptz not null default now(),
	last_message_preview text not null default '',
	last_customer_message_at timestamptz,
	first_response_at timestamptz,
	unread_count integer not null default 0,
	message_count integer not null default 0,
	created_at timestamptz not null default now(),
	updated_at timestamptz not null default now(),
	unique (connection_id, external_thread_id)
);
create index conversations_list_idx on conversations (workspace_id, last_message_at desc, id desc);
create index conversations_assignee_idx on conversations (workspace_id, assignee_id, last_message_at desc, id desc);
create index conversations_status_idx on conversations (workspace_id, status, last_message_at desc, id desc);
create index conversations_contact_idx on conversations (contact_id);
create index conversations_labels_idx on conversations using gin (labels);

create table messages (
	id uuid primary key default gen_random_uuid(),
	workspace_id uuid not null references workspaces (id) on delete cascade,
	conversation_id uuid not null references conversations (id) on delete cascade,
	connection_id uuid not null references platform_connections (id) on delete cascade,
	platform_message_id text,
	direction text not null check (direction in ('in', 'out')),
	sender_type text not null check (sender_type in ('customer', 'agent', 'ai', 'system')),
	author_id uuid references users (id) on delete set null,
	body text not null default '',
	attachments jsonb not null default '[]',
	delivery_state text check (delivery_state in ('queued', 'sent', 'failed')),
	delivery_error text,
	sent_at timestamptz not null default now(),
	created_at timestamptz not null default now(),
	unique (connection_id, platform_message_id)
);
create index messages_history_idx on messages (conversation_id, sent_at desc, id desc);
create index messages_workspace_created_idx on messages (workspace_id, created_at);

create table notes (
	id uuid primary key default gen_random_uuid(),
	workspace_id uuid not null references workspaces (id) on delete cascade,
	conversation_id uuid not null references conversations (id) on delete cascade,
	author_id uuid references users (id) on delete set null,
	body text not null check (length(body) between 1 and 10000),
	mentions uuid[] not null default '{}',
	created_at timestamptz not null default now()
);
create index notes_conversation_idx on notes (conversation_id, created_at);

create table assignments (
	id bigint generated always as identity primary key,
	workspace_id uuid not null references workspaces (id) on delete cascade,
	conversation_id uuid not null references conversations (id) on delete cascade,
	assignee_id uuid references users (id) on delete set null,
	assigned_by uuid references users (id) on delete set null,
	created_at timestamptz not null default now()
);
create index assignments_conversation_idx on assignments (conversation_id, created_at);
create index assignments_workspace_idx on assignments (workspace_id, created_at);

-- Every change of status and labels, with who and when, for reports.
create table conversation_events (
	id bigint generated always as identity primary key,
	workspace_id uuid not null references workspaces (id) on delete cascade,
	conversation_id uuid not null references conversations (id) on delete cascade,
	actor_id uuid references users (id) on delete set null,
	kind text not null check (kind in ('status', 'labels', 'assignee')),
	data jsonb not null default '{}',
	created_at timestamptz not null default now()
);
create index conversation_events_workspace_idx on conversation_events (workspace_id, created_at);

-- Raw webhook log. A redelivery hits the unique key and is a no-op.
create table inbound_events (
	id bigint generated always as identity primary key,
	workspace_id uuid not null references workspaces (id) on delete cascade,
	connection_id uuid not null references platform_connections (id) on delete cascade,
	platform text not null,
	event_id text not null,
	kind text not null,
	payload jsonb not null,
	received_at timestamptz not null default now(),
	processed_at timestamptz,
	attempts integer not null default 0,
	last_error text,
	unique (connection_id, event_id)
);
create index inbound_events_pending_idx on inbound_events (id) where processed_at is null;

create table outbox (
	id uuid primary key default gen_random_uuid(),
	workspace_id uuid not null references workspaces (id) on delete cascade,
	conversation_id uuid not null references conversations (id) on delete cascade,
	connection_id uuid not null references platform_connections (id) on delete cascade,
	message_id uuid references messages (id) on delete set null,
	idempotency_key text not null,
	author_id uuid references users (id) on delete set null,
	sender_type text not null default 'agent' check (sender_type in ('agent', 'ai')),
	body text not null check (length(body) between 1 and 20000),
	options jsonb not null default '{}',
	state text not null default 'queued' check (state in ('queued', 'sending', 'sent', 'failed')),
	attempts integer not null default 0,
	next_attempt_at timestamptz not null default now(),
	last_error text,
	platform_message_id text,
	created_at timestamptz not null default now(),
	updated_at timestamptz not null default now(),
	unique (workspace_id, idempotency_key)
);
create index outbox_due_idx on outbox (next_attempt_at) where state in ('queued', 'sending');

-- Orders fetched from the shops, cached beside the customer.
create table orders (
	id uuid primary key default gen_random_uuid(),
	workspace_id uuid not null references workspaces (id) on delete cascade,
	connection_id uuid not null references platform_connections (id) on delete cascade,
	contact_identity_id uuid references contact_identities (id) on delete set null,
	external_order_id text not null,
	status text not null,
	currency text,
	total numeric(14, 2),
	items jsonb not null default '[]',
	tracking jsonb not null default '{}',
	placed_at timestamptz,
	fetched_at timestamptz not null default now(),
	unique (connection_id, external_order_id)
);
create index orders_identity_idx on orders (contact_identity_id, placed_at desc);

create table canned_responses (
	id uuid primary key default gen_random_uuid(),
	workspace_id uuid not null references workspaces (id) on delete cascade,
	shortcut text not null check (shortcut ~ '^[a-z0-9_-]{1,32}$'),
	body text not null check (length(body) between 1 and 5000),
	created_by uuid references users (id) on delete set null,
	created_at timestamptz not null default now(),
	unique (workspace_id, shortcut)
);

create table notifications (
	id uuid primary key default gen_random_uuid(),
	workspace_id uuid not null references workspaces (id) on delete cascade,
	user_id uuid not null references users (id) on delete cascade,
	kind text not null check (kind in ('mention', 'assigned')),
	conversation_id uuid references conversations (id) on delete cascade,
	actor_id uuid references users (id) on delete set null,
	excerpt text not null default '',
	read_at timestamptz,
	created_at timestamptz not null default now()
);
create index notifications_user_idx on notifications (user_id, created_at desc);

-- Yjs state of each live document, encoded as one update.
create table collab_documents (
	name text primary key,
	workspace_id uuid not null references workspaces (id) on delete cascade,
	state bytea not null,
	updated_at timestamptz not null default now()
);
create index collab_documents_workspace_idx on collab_documents (workspace_id);

-- Fixed-window counters shared by every server instance (login and signup throttling).
create table rate_limits (
	key text primary key,
	window_start timestamptz not null,
	hits integer not null
);

-- Append-only record of sign-ins, role changes, token creation, connections and admin access.
-- No foreign keys: the record outlives what it speaks of.
create table audit_log (
	id bigint generated always as identity primary key,
	workspace_id uuid,
	actor_id uuid,
	action text not null,
	target_type text,
	target_id text,
	ip text,
	meta jsonb not null default '{}',
	created_at timestamptz not null default now()
);
create index audit_log_workspace_idx on audit_log (workspace_id, created_at desc);

create function audit_log_append_only() returns trigger language plpgsql as $$
begin
	if tg_op = 'DELETE' and current_setting('chatmai.audit_purge', true) = 'on' then
		return old;
	end if;
	raise exception 'audit_log is append-only';
end;
$$;
create trigger audit_log_append_only before update or delete on audit_log
	for each row execute function audit_log_append_only();

-- Down Migration

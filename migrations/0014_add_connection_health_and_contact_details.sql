-- Up Migration
-- Connections made through the platform's authorization page have tokens that expire (Shopee's live 4
-- hours): the refresh job (connectors/pipeline/token-refresh.ts) renews each before `next_refresh_at`
-- and, when the platform refuses the refresh token, marks the connection `needs_reauthorization` (its
-- webhooks are still taken; only calls to the platform wait for the owner to reconnect). The card in
-- Settings shows the last event received and the last error (a code; the sentence is translated).
alter table platform_connections
	add column if not exists authorization_status text not null default 'ok',
	add column if not exists access_token_expires_at timestamptz,
	add column if not exists refresh_token_expires_at timestamptz,
	add column if not exists next_refresh_at timestamptz,
	add column if not exists refresh_failures integer not null default 0,
	add column if not exists last_event_at timestamptz,
	add column if not exists last_error_code text,
	add column if not exists last_error text,
	add column if not exists last_error_at timestamptz;
alter table platform_connections add constraint platform_connections_authorization_status_check
	check (authorization_status in ('ok', 'needs_reauthorization'));
create index if not exists platform_connections_refresh_idx
	on platform_connections (next_refresh_at) where status = 'active' and next_refresh_at is not null;

-- Accounts granted on a platform's authorization page (several Facebook Pages, several TikTok shops)
-- wait here, sealed like credentials, while the seller picks the ones to connect; 15 minutes at most.
create table if not exists pending_authorizations (
	id uuid primary key default gen_random_uuid(),
	workspace_id uuid not null references workspaces (id) on delete cascade,
	user_id uuid not null references users (id) on delete cascade,
	platform text not null,
	key_id text not null,
	iv bytea not null check (length(iv) = 12),
	ciphertext bytea not null,
	auth_tag bytea not null check (length(auth_tag) = 16),
	expires_at timestamptz not null,
	created_at timestamptz not null default now()
);
create index if not exists pending_authorizations_expires_idx on pending_authorizations (expires_at);

-- Owners are told when a connection needs them to reconnect it.
alter table notifications add column if not exists connection_id uuid references platform_connections (id) on delete cascade;
alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check
	check (kind in ('mention', 'assigned', 'snooze_ended', 'connection_reauthorize'));

-- What agents write about a customer, apart from what the platform says (contacts.display_name and
-- avatar_url follow the platform's profile; custom_name, when set, is shown instead of it).
alter table contacts
	add column if not exists custom_name text check (length(custom_name) between 1 and 120),
	add column if not exists phone text check (length(phone) <= 40),
	add column if not exists address text check (length(address) <= 500),
	add column if not exists note text check (length(note) <= 2000);

-- The platform's profile of a customer (name, picture) is fetched by the worker at most once a day.
alter table contact_identities add column if not exists profile_fetched_at timestamptz;

-- Down Migration

-- Up Migration
-- Webhooks are filed by the account id the platform puts in the payload (Meta entry id, LINE
-- destination, Shopee and TikTok shop_id, Lazada seller_id), not by the URL they were posted to:
-- one platform account may be actively connected once in the whole deployment, or an event could
-- not be told apart. Before, the rule was per workspace.
do $$
begin
	if exists (
		select 1 from platform_connections where status = 'active'
		 group by platform, external_id having count(*) > 1
	) then
		raise exception 'Some platform accounts are connected in more than one workspace; disconnect all but one of each: '
			'select platform, external_id, array_agg(workspace_id) from platform_connections where status = ''active'' '
			'group by platform, external_id having count(*) > 1';
	end if;
end
$$;
drop index platform_connections_active_key;
create unique index platform_connections_active_key
	on platform_connections (platform, external_id) where status = 'active';

-- Signed webhook bodies our own parser could not read: kept raw (they may carry message text, so
-- they follow their workspace's deletion) and acknowledged, so a platform that does not redeliver
-- (LINE) loses nothing; `npm run admin -- replay-quarantine` feeds them to the pipeline after a fix.
-- workspace_id / connection_id are set when the connection is known (a single verifying
-- connection); verified_connection_ids are the connections whose secret verified the body: on
-- replay an event is filed only under one of them, the one its account id names.
create table quarantined_webhooks (
	id uuid primary key default gen_random_uuid(),
	platform text not null,
	app_key text,
	workspace_id uuid references workspaces (id) on delete cascade,
	connection_id uuid references platform_connections (id) on delete cascade,
	verified_connection_ids uuid[] not null default '{}',
	body bytea not null,
	reason text not null,
	issues text[] not null default '{}',
	received_at timestamptz not null default now(),
	replay_attempts integer not null default 0,
	last_replay_error text,
	last_replayed_at timestamptz
);
create index quarantined_webhooks_workspace_idx on quarantined_webhooks (workspace_id, received_at);
create index quarantined_webhooks_received_idx on quarantined_webhooks (received_at);

-- Down Migration

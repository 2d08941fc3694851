-- Up Migration
-- E-mail verification, password reset and the workspace a user last worked in (issue 10).

-- When the address was proved by a link sent to it; an invitation bound to an e-mail needs it.
alter table users add column email_verified_at timestamptz;
-- Where login takes the user: the workspace they last opened, while they are still a member.
alter table users add column last_workspace_id uuid references workspaces (id) on delete set null;

-- Single-use links sent by e-mail: only the SHA-256 of the token is kept.
create table email_tokens (
	id uuid primary key default gen_random_uuid(),
	user_id uuid not null references users (id) on delete cascade,
	purpose text not null check (purpose in ('verify_email', 'password_reset')),
	token_hash text not null unique check (length(token_hash) = 64),
	-- The address the link was sent to: verifying proves this address, not a later one.
	email text not null,
	-- A sign-up from an invitation bound to this address joins once the address is verified.
	invitation_id uuid references invitations (id) on delete set null,
	expires_at timestamptz not null,
	used_at timestamptz,
	created_at timestamptz not null default now()
);
create index email_tokens_user_id_idx on email_tokens (user_id, purpose);
create index email_tokens_expires_at_idx on email_tokens (expires_at);

-- The language of the invitation e-mail, chosen by the inviter.
alter table invitations add column locale text not null default 'en' check (locale in ('en', 'th'));

-- Down Migration

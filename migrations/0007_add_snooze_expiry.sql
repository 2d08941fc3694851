-- Up Migration
-- When a snooze runs out (src/lib/server/snooze.ts) the conversation reopens and its assignee is told.
alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in ('mention', 'assigned', 'snooze_ended'));

-- The minute sweep finds the snoozes that ran out by this index, not by scanning conversations.
create index conversations_snoozed_idx on conversations (snoozed_until) where status = 'snoozed';

-- Down Migration

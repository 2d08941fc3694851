-- Up Migration
-- When a snooze runs out (src/lib/server/snooze.ts), the conversation's assignee is told.
alter table notifications drop constraint notifications_kind_check;
alter table notifications add constraint notifications_kind_check check (kind in ('mention', 'assigned', 'snooze_ended'));

-- Down Migration

-- Up Migration
-- Search over customer names and message text. Thai is written without spaces between words, so
-- word-based full-text search alone misses it: trigram indexes match any substring of three or
-- more characters in any script, and a 'simple' tsvector matches English words in any order.
create extension if not exists pg_trgm;

create index messages_body_trgm_idx on messages using gin (body gin_trgm_ops);
create index messages_body_fts_idx on messages using gin (to_tsvector('simple', body));
create index contacts_name_trgm_idx on contacts using gin (display_name gin_trgm_ops);

-- Down Migration

-- Up Migration
-- The AI copilot's settings. `workspaces.ai_model` is the Ollama model this workspace drafts with
-- (null: the server's OLLAMA_MODEL). `memberships.ai_particle` is the polite particle the AI ends
-- Thai sentences with when it drafts for this agent in this workspace: 'kha' (ค่ะ/คะ), 'khrap'
-- (ครับ), or null (the model chooses). Nothing of a prompt or an answer is ever stored.
alter table workspaces add column ai_model text
	check (ai_model is null or ai_model ~ '^[A-Za-z0-9][A-Za-z0-9._:/-]{0,199}$');
alter table memberships add column ai_particle text
	check (ai_particle is null or ai_particle in ('kha', 'khrap'));

-- The AI's grounding finds the canned responses that fit the customer's words by full-text search.
create index canned_responses_body_fts_idx on canned_responses using gin (to_tsvector('simple', body));

-- Down Migration

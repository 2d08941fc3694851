-- Up Migration
-- A live document is named `conversation:<uuid>` with the UUID in lower case, the one spelling the
-- collab server accepts (src/lib/conversation-doc.ts). Documents stored under another spelling
-- of a conversation's id could no longer be opened, and retention, which deletes documents by
-- their canonical name, never reached them: they go, and no other spelling can be stored again.
delete from collab_documents
 where name !~ '^conversation:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';

alter table collab_documents add constraint collab_documents_name_canonical
	check (name ~ '^conversation:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$');

-- Down Migration

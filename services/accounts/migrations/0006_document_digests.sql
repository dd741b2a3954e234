-- The sha256 of each document's kept file: the same file of the same kind sent again
-- while the first waits for an operator is that document, not a second queue entry.
-- Documents sent before have none (NULL) and are never taken for a repeat.
ALTER TABLE documents ADD COLUMN digest text;

-- Files of a deleted account's documents. The document rows go with the user (ON DELETE
-- CASCADE), so the retention job, which reads rows, would never find their files: the
-- deletion records each key here in its own transaction, and the files are deleted from
-- storage after it commits; a key leaves this table only once its file is gone, so a
-- failed delete or a process that died is retried by the retention loop.
CREATE TABLE erased_files (
    object_key  text PRIMARY KEY,
    erased_at   timestamptz NOT NULL DEFAULT now()
);

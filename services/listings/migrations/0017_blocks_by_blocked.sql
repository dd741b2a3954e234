-- Who blocked a user, for the search's "hosts either side blocked" (shared/blocks.py
-- others_sql): the primary key serves the blocker's side only.
CREATE INDEX blocks_blocked ON blocks (blocked_id) WHERE blocked;

-- Matching never shows or pairs a blocked pair (shared/blocks.py others_sql): a room or
-- mentor ranking reads, at each request, the users its student blocked or was blocked by
-- (by blocker, the primary key; by blocked, this index) and the listings they host.
CREATE INDEX blocks_blocked ON blocks (blocked_id) WHERE blocked;
CREATE INDEX listings_host ON listings (host_id);

-- A reporter has at most one open report of a message, and of a user (without a message):
-- reporting it again answers the open one (INSERT ... ON CONFLICT over these indexes, so
-- two racing requests also file one). Duplicates filed before are closed, the oldest kept.
UPDATE reports r
SET status = 'resolved', resolved_at = now(), resolution = 'duplicate of an earlier open report by the same reporter'
WHERE r.status = 'open'
  AND EXISTS (
    SELECT 1 FROM reports o
    WHERE o.status = 'open' AND o.reporter_id = r.reporter_id
      AND o.message_id IS NOT DISTINCT FROM r.message_id
      AND (r.message_id IS NOT NULL OR o.reported_user_id = r.reported_user_id)
      AND (o.created_at, o.id) < (r.created_at, r.id)
  );
CREATE UNIQUE INDEX reports_open_message ON reports (reporter_id, message_id)
    WHERE status = 'open' AND message_id IS NOT NULL;
CREATE UNIQUE INDEX reports_open_user ON reports (reporter_id, reported_user_id)
    WHERE status = 'open' AND message_id IS NULL;

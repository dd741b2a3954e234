-- Ending a mentorship now cancels its open meetings in the same transaction. Before,
-- they stayed 'proposed' or 'scheduled', confirmed in both calendar feeds and impossible
-- to cancel (an ended plan is read-only): cancel them now. The version trigger raises each
-- one's version, so a subscribed calendar replaces the event with a cancelled one.
UPDATE meetings SET status = 'cancelled', updated_at = now()
WHERE status IN ('proposed', 'scheduled')
  AND mentorship_id IN (SELECT id FROM mentorships WHERE status <> 'accepted');

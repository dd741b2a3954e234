-- When a stay was first confirmed (paid): its guest and host were mailed it as stay.ics
-- then, so its cancellation's mail carries it again as STATUS:CANCELLED for their calendar
-- (the status alone no longer says it was confirmed once it is cancelled). Stays confirmed
-- before this take the time of their last change, the best that is known.
ALTER TABLE bookings ADD COLUMN confirmed_at timestamptz;
UPDATE bookings SET confirmed_at = coalesce(decided_at, created_at)
    WHERE status IN ('confirmed', 'completed') OR stay_address IS NOT NULL;

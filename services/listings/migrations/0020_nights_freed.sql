-- A request declined because another stay took its nights (end_reason 'dates_taken') is told
-- once when that stay is cancelled, expires unpaid or moves away and its nights are all
-- free again (services/listings/freed.py): when it was told.
ALTER TABLE bookings ADD COLUMN freed_told_at timestamptz;

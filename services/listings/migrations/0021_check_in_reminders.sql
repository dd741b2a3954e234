-- A confirmed stay's guest and host are told the day before its check-in (jobs.remind_check_ins):
-- when they were, so each stay is told once.
ALTER TABLE bookings ADD COLUMN check_in_told_at timestamptz;
CREATE INDEX bookings_check_in_to_tell ON bookings (lower(stay)) WHERE status = 'confirmed' AND check_in_told_at IS NULL;

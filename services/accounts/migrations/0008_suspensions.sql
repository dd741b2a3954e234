-- An operator may suspend an account (a report of a scam, harassment): it cannot log in,
-- its sessions end, and other services hide what it offers (its rooms, its mentoring)
-- until an operator lifts the suspension.
ALTER TABLE users ADD COLUMN suspended_at timestamptz;
ALTER TABLE users ADD COLUMN suspended_by uuid;
ALTER TABLE users ADD COLUMN suspension_reason text;

-- The rotation a stay is for (matching's id; listings keeps it as the guest's word, and
-- matching, which owns rotations, uses it only when that rotation is the guest's).
ALTER TABLE bookings ADD COLUMN rotation_id uuid;

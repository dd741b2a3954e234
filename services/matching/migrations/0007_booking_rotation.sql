-- A stay names the rotation it is for (when its guest said so): moving that rotation's
-- dates tells the student which stays no longer fit.
ALTER TABLE bookings ADD COLUMN rotation_id uuid;
CREATE INDEX bookings_rotation ON bookings (rotation_id) WHERE rotation_id IS NOT NULL;

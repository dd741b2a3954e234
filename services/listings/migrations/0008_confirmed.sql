-- A booking the host accepted waits for the guest's payment (payments' events): paid, it
-- is confirmed; unpaid by the deadline, it expires. Accepted and confirmed stays both hold
-- their dates.
ALTER TABLE bookings DROP CONSTRAINT bookings_status_check;
ALTER TABLE bookings ADD CONSTRAINT bookings_status_check CHECK (status IN
    ('requested', 'accepted', 'confirmed', 'declined', 'cancelled', 'expired', 'completed'));
ALTER TABLE bookings DROP CONSTRAINT bookings_no_overlap;
ALTER TABLE bookings ADD CONSTRAINT bookings_no_overlap EXCLUDE USING gist (listing_id WITH =, stay WITH &&)
    WHERE (status IN ('accepted', 'confirmed', 'completed'));
DROP INDEX bookings_accepted;
CREATE INDEX bookings_accepted ON bookings USING gist (listing_id, stay)
    WHERE status IN ('accepted', 'confirmed', 'completed');
-- Stays accepted before payments existed were agreed without one: they stay what they
-- were (their address shown, completed when over), so they become confirmed.
UPDATE bookings SET status = 'confirmed' WHERE status = 'accepted';

-- The room's time zone as listings' booking events carry it (BookingData.time_zone): a
-- stay starts at its first day's check-in time there (shared.stays), and the hold, the
-- refund policies' deadlines and "today" count from that moment, no longer from midnight
-- UTC. NULL: projected from events older than the field. The rules then take
-- America/New_York until the room's own zone arrives, by a newer event or by the upgrade
-- sweep that reads listings' booking snapshots once (jobs.learn_time_zones); either moves
-- the release times not yet reached to the new moments (flows.follow_zone).
ALTER TABLE bookings ADD COLUMN time_zone text;
CREATE INDEX bookings_without_zone ON bookings (booking_id) WHERE time_zone IS NULL;

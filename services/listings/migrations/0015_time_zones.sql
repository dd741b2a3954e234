-- A room's IANA time zone, from its exact position when it is placed or moved (the nearest
-- ZIP code's zone: shared.places.zone_at), stored so a stay's rules never change under it.
-- A stay starts at its first day's check-in time there (shared.stays): "today" for a stay
-- that may start, is under way or is over is the room's date, and booking events carry the
-- zone to payments (the hold's release, the refund deadlines). Rooms placed before this
-- migration get theirs at the service's start (jobs.zone_listings); until then, and for a
-- row an older replica writes, the zone is computed from the position when it is read.
ALTER TABLE listings ADD COLUMN time_zone text;
CREATE INDEX listings_without_zone ON listings (id) WHERE time_zone IS NULL;

-- A paid stay is "confirmed" (issue #16): it holds its dates like an accepted one.
DROP INDEX IF EXISTS bookings_listing;
CREATE INDEX bookings_listing ON bookings (listing_id) WHERE status IN ('accepted', 'confirmed', 'completed');

-- A listing's public position (domain.public_point): the exact one moved by an offset that
-- the service's secret key decides, so it is computed in Python when the room is placed
-- (the key is not the database's) and stored. ``position``, the search index, holds it
-- from now on: search filters, orders and measures distance by what a viewer may know,
-- never by the exact point (a caller moving the centre could otherwise read exact
-- distances off the results). Rows placed before this migration get theirs at the
-- service's start (jobs.place_publicly), which also tells consumers with a new snapshot.
ALTER TABLE listings
    ADD COLUMN public_latitude  double precision CHECK (public_latitude BETWEEN -90 AND 90),
    ADD COLUMN public_longitude double precision CHECK (public_longitude BETWEEN -180 AND 180),
    ADD CONSTRAINT listings_public_pair CHECK ((public_latitude IS NULL) = (public_longitude IS NULL));
CREATE INDEX listings_unplaced ON listings (id) WHERE public_latitude IS NULL;

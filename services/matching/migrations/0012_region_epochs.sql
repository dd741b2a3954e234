-- Epochs per region (issue #20): a change of a listing, a stay or a host's profile is
-- counted in the cell of the listing it touches (0.5 degree cells, store/regions.py), and
-- a room ranking holds while the cells within its hospital's reach have not moved; the
-- projection_epoch of 0005 now counts what mentor rankings read (profiles, seats).
-- Cell -1 is read by every room ranking: a rebuild moves it.
CREATE TABLE region_epochs (
    cell   integer PRIMARY KEY,
    epoch  bigint NOT NULL
);

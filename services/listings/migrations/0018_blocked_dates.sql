-- Nights a host keeps for themselves inside a room's availability window (their own use, a
-- relative visiting, repairs). Not `blocks`, which are users blocking users (0013).
-- No two of a room's blocks overlap (the constraint's GiST index also serves the lookups
-- by listing and dates: a booking request, the quote, search's per-room probe). A block
-- never overlaps an accepted or paid stay: both are written under the listing's row lock,
-- which accepting a stay takes too (services/listings/handlers/blocked_dates.py).
CREATE TABLE blocked_dates (
    id          uuid PRIMARY KEY,
    listing_id  uuid NOT NULL REFERENCES listings (id),
    nights      daterange NOT NULL CHECK (NOT isempty(nights)),
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT blocked_dates_no_overlap EXCLUDE USING gist (listing_id WITH =, nights WITH &&)
);

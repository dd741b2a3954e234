-- A suspended host's active rooms are held: out of search, booking and matching until an
-- operator lifts the suspension, when they are active again. The host does not choose it.
ALTER TABLE listings DROP CONSTRAINT listings_status_check;
ALTER TABLE listings ADD CONSTRAINT listings_status_check CHECK (status IN ('draft', 'active', 'held', 'archived'));
ALTER TABLE hosts ADD COLUMN suspended boolean NOT NULL DEFAULT false;

-- A counter of the projections' changes: every consumer transaction that changes a
-- listing, a stay or a profile adds one before it commits (rebuild too, when it swaps the
-- tables). A replica keeps a rotation's room ranking while the epoch and the rotation's
-- version are the ones it was computed at: pages of a ranking are then slices of it,
-- not a new ranking each. One row: the consumers queue on it only at their very end.
CREATE TABLE projection_epoch (
    id     boolean PRIMARY KEY DEFAULT true CHECK (id),
    epoch  bigint NOT NULL
);
INSERT INTO projection_epoch (id, epoch) VALUES (true, 0);

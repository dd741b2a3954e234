-- Blocks between users, a projection of messaging's block events (shared/blocks.py): a
-- guest and a host either of whom blocked the other cannot request a stay. A lifted block
-- keeps its row (blocked = false) so that an older event never brings it back.
CREATE TABLE blocks (
    blocker_id  uuid NOT NULL,
    blocked_id  uuid NOT NULL,
    blocked     boolean NOT NULL,
    version     integer NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);

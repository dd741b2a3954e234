-- Blocks between users, a projection of messaging's block events (shared/blocks.py): a
-- student cannot ask a mentorship or a letter of someone either of them blocked. A lifted
-- block keeps its row (blocked = false) so that an older event never brings it back.
-- Rebuilt with the other projections (rebuild.py, from messaging's snapshots).
CREATE TABLE blocks (
    blocker_id  uuid NOT NULL,
    blocked_id  uuid NOT NULL,
    blocked     boolean NOT NULL,
    version     integer NOT NULL,
    PRIMARY KEY (blocker_id, blocked_id)
);

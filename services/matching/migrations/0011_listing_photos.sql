-- The listings projection keeps each listing's photo count (a room match's reasons say
-- "8 photos" or "no photos yet") and its cover (the match card's picture), from the
-- listing events that carry them since issue #17. Older events carry neither: 0 and none.
ALTER TABLE listings ADD COLUMN photo_count integer NOT NULL DEFAULT 0;
ALTER TABLE listings ADD COLUMN cover jsonb;

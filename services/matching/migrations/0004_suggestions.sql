-- Each room or mentor is suggested for a rotation at most once: the key decides, not a
-- check before the insert.
CREATE TABLE suggestions (
    rotation_id  uuid NOT NULL REFERENCES rotations (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('room', 'mentor')),
    subject_id   uuid NOT NULL,
    score        double precision NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (rotation_id, kind, subject_id)
);
CREATE INDEX rotations_upcoming ON rotations (start_date);

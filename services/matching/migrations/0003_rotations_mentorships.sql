-- Students' rotations and mentorships: matching's own data.
CREATE FUNCTION bump_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.version := OLD.version + 1;
    RETURN NEW;
END
$$;

CREATE TABLE rotations (
    id              uuid PRIMARY KEY,
    student_id      uuid NOT NULL,
    hospital_id     text NOT NULL,
    specialty       text NOT NULL,
    start_date      date NOT NULL,
    end_date        date NOT NULL,
    monthly_budget  integer CHECK (monthly_budget > 0),
    room_types      text[] NOT NULL DEFAULT '{}',
    amenities       text[] NOT NULL DEFAULT '{}',
    version         integer NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT rotations_dates CHECK (start_date < end_date)
);
CREATE INDEX rotations_student ON rotations (student_id, created_at DESC, id DESC);
CREATE TRIGGER rotations_version BEFORE UPDATE ON rotations FOR EACH ROW EXECUTE FUNCTION bump_version();

CREATE TABLE mentorships (
    id           uuid PRIMARY KEY,
    student_id   uuid NOT NULL,
    mentor_id    uuid NOT NULL,
    rotation_id  uuid REFERENCES rotations (id) ON DELETE SET NULL,
    status       text NOT NULL CHECK (status IN ('requested', 'accepted', 'declined', 'ended')),
    message      text NOT NULL DEFAULT '',
    version      integer NOT NULL DEFAULT 1,
    created_at   timestamptz NOT NULL DEFAULT now(),
    decided_at   timestamptz,
    ended_at     timestamptz,
    CONSTRAINT mentorships_not_self CHECK (student_id <> mentor_id)
);
-- One open request or mentorship per pair at a time.
CREATE UNIQUE INDEX mentorships_open_pair ON mentorships (student_id, mentor_id)
    WHERE status IN ('requested', 'accepted');
CREATE INDEX mentorships_student ON mentorships (student_id, created_at DESC, id DESC);
CREATE INDEX mentorships_mentor ON mentorships (mentor_id, created_at DESC, id DESC);
CREATE TRIGGER mentorships_version BEFORE UPDATE ON mentorships FOR EACH ROW EXECUTE FUNCTION bump_version();

-- A row per mentor that accepts take a lock on: accepts of one mentor's requests run one
-- after the other, so counting the accepted ones against the capacity cannot race.
CREATE TABLE mentor_locks (
    mentor_id  uuid PRIMARY KEY
);

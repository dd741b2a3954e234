-- Letters of recommendation, tracked from request to submission. Wardmate never stores a
-- letter: only what the two parties need to get it to the programs on time.
CREATE TABLE letters (
    id              uuid PRIMARY KEY,
    student_id      uuid NOT NULL,
    writer_id       uuid NOT NULL,
    mentorship_id   uuid REFERENCES mentorships (id) ON DELETE SET NULL,
    specialty       text NOT NULL,
    programs        integer NOT NULL CHECK (programs BETWEEN 1 AND 200),
    deadline        date NOT NULL,
    application     text NOT NULL CHECK (application IN ('eras', 'other')),
    -- The ERAS Letter Request Form's Letter ID (works once); only for ERAS.
    eras_letter_id  text,
    waived          boolean NOT NULL,
    message         text NOT NULL DEFAULT '',
    status          text NOT NULL CHECK (status IN
        ('requested', 'accepted', 'submitted', 'confirmed', 'declined', 'withdrawn', 'expired')),
    hospital_id     text,
    requested_at    timestamptz NOT NULL,
    answered_at     timestamptz,
    -- The day the writer says they uploaded it to the AAMC Letter Writer Portal.
    submitted_on    date,
    confirmed_at    timestamptz,
    version         integer NOT NULL DEFAULT 1,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT letters_not_self CHECK (student_id <> writer_id),
    CONSTRAINT letters_eras_id CHECK ((application = 'eras') = (eras_letter_id IS NOT NULL))
);
CREATE INDEX letters_student ON letters (student_id, deadline, id);
CREATE INDEX letters_writer ON letters (writer_id, deadline, id);
CREATE INDEX letters_open ON letters (deadline) WHERE status IN ('requested', 'accepted');
-- One ERAS Letter ID is one letter.
CREATE UNIQUE INDEX letters_eras_letter_id ON letters (eras_letter_id)
    WHERE eras_letter_id IS NOT NULL AND status NOT IN ('declined', 'withdrawn', 'expired');
CREATE TRIGGER letters_version BEFORE UPDATE ON letters FOR EACH ROW EXECUTE FUNCTION bump_version();

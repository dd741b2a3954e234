-- A mentorship's plan: goals, meetings, notes, check-ins; each person's mentoring
-- settings (time zone, who sees them on a hospital's page); notices sent once.

CREATE TABLE member_settings (
    user_id              uuid PRIMARY KEY,
    -- An IANA zone; NULL: the zone of the state of their hospital.
    time_zone            text,
    -- Who may see you on a hospital's page (mentors: where you are affiliated;
    -- students: where you rotate): nobody, students, professionals or members.
    hospital_visibility  text NOT NULL DEFAULT 'nobody'
        CHECK (hospital_visibility IN ('nobody', 'students', 'professionals', 'members')),
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE goals (
    id             uuid PRIMARY KEY,
    mentorship_id  uuid NOT NULL REFERENCES mentorships (id) ON DELETE CASCADE,
    created_by     uuid NOT NULL,
    title          text NOT NULL,
    measure        text NOT NULL DEFAULT '',
    target_date    date,
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'dropped')),
    version        integer NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX goals_mentorship ON goals (mentorship_id, created_at);
CREATE TRIGGER goals_version BEFORE UPDATE ON goals FOR EACH ROW EXECUTE FUNCTION bump_version();

CREATE TABLE meetings (
    id                uuid PRIMARY KEY,
    mentorship_id     uuid NOT NULL REFERENCES mentorships (id) ON DELETE CASCADE,
    -- Who proposed the current times: the other side accepts one or declines.
    proposed_by       uuid NOT NULL,
    status            text NOT NULL CHECK (status IN ('proposed', 'scheduled', 'declined', 'cancelled', 'held')),
    -- Times in UTC; shown to each person in their own zone.
    options           timestamptz[] NOT NULL,
    starts_at         timestamptz,
    duration_minutes  integer NOT NULL CHECK (duration_minutes BETWEEN 10 AND 240),
    place             text NOT NULL DEFAULT '',
    video_url         text NOT NULL DEFAULT '',
    -- The "tomorrow" reminder went out for this start time (a reschedule clears it).
    reminded_at       timestamptz,
    held_at           timestamptz,
    version           integer NOT NULL DEFAULT 1,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    -- A scheduled or held meeting has its time; a cancelled one keeps it (the calendar
    -- feed then cancels that event).
    CONSTRAINT meetings_scheduled CHECK (status NOT IN ('scheduled', 'held') OR starts_at IS NOT NULL)
);
CREATE INDEX meetings_mentorship ON meetings (mentorship_id, created_at);
CREATE INDEX meetings_due ON meetings (starts_at) WHERE status = 'scheduled' AND reminded_at IS NULL;
CREATE TRIGGER meetings_version BEFORE UPDATE ON meetings FOR EACH ROW EXECUTE FUNCTION bump_version();

-- Shared notes belong to a meeting; private ones are their author's alone.
CREATE TABLE notes (
    id             uuid PRIMARY KEY,
    mentorship_id  uuid NOT NULL REFERENCES mentorships (id) ON DELETE CASCADE,
    meeting_id     uuid REFERENCES meetings (id) ON DELETE CASCADE,
    author_id      uuid NOT NULL,
    private        boolean NOT NULL,
    body           text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT notes_shared_on_meeting CHECK (private OR meeting_id IS NOT NULL)
);
CREATE INDEX notes_mentorship ON notes (mentorship_id, created_at);

CREATE TABLE check_ins (
    mentorship_id  uuid NOT NULL REFERENCES mentorships (id) ON DELETE CASCADE,
    author_id      uuid NOT NULL,
    stage          text NOT NULL CHECK (stage IN ('mid', 'end')),
    usefulness     smallint NOT NULL CHECK (usefulness BETWEEN 1 AND 5),
    change         text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (mentorship_id, author_id, stage)
);

-- Reminders and prompts sent, by a key naming what and when ('meeting:<id>:<start>',
-- 'letter:<id>:writer-7', ...): a sweep that runs twice, or on two replicas, sends once.
CREATE TABLE notices_sent (
    key      text PRIMARY KEY,
    sent_at  timestamptz NOT NULL DEFAULT now()
);

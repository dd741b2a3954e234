-- Cohort match rounds run by operators. A round is queued by the API and run by one
-- replica's round worker, which claims it (FOR UPDATE SKIP LOCKED) and beats its
-- heartbeat while it runs; a round whose heartbeat stops (its replica died) is claimed
-- again by another worker. Its result is the assignment below and a report.
CREATE TABLE match_rounds (
    id             uuid PRIMARY KEY,
    created_by     uuid NOT NULL,
    status         text NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed', 'accepted')),
    kind           text NOT NULL CHECK (kind IN ('round', 'scramble')),
    scramble_of    uuid REFERENCES match_rounds (id),
    proposing      text NOT NULL CHECK (proposing IN ('students', 'mentors')),
    request        jsonb NOT NULL,
    -- Who is in the round, once its worker has resolved the request: {"rotation_ids",
    -- "mentor_ids"} (a scramble round takes its parent's mentors from here).
    members        jsonb,
    progress       jsonb NOT NULL DEFAULT '{"stage": "queued", "done": 0, "total": 0}',
    report         jsonb,
    chart_svg      text,
    error          text,
    requests_made  integer,
    claimed_by     uuid,  -- the worker's claim: only its holder may write the result
    heartbeat_at   timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    accepted_at    timestamptz
);
CREATE INDEX match_rounds_newest ON match_rounds (created_at DESC, id DESC);
CREATE INDEX match_rounds_waiting ON match_rounds (created_at) WHERE status IN ('queued', 'running');

CREATE TABLE match_round_assignments (
    round_id     uuid NOT NULL REFERENCES match_rounds (id) ON DELETE CASCADE,
    rotation_id  uuid NOT NULL,
    student_id   uuid NOT NULL,
    mentor_id    uuid,
    rank         integer,
    PRIMARY KEY (round_id, rotation_id)
);

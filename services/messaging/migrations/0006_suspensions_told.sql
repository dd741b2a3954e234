-- The accounts whose suspension the "suspensions" consumer has told (with its event): a
-- stay or mentorship requested in the same moment opens its conversation after that
-- consumer looked for one, and tells the suspension itself (both under one advisory lock
-- per account, so exactly one of the two does). Lifting the suspension removes the row.
CREATE TABLE suspensions_told (
    user_id uuid PRIMARY KEY,
    event_id uuid NOT NULL
);

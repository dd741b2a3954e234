-- Rotation protection (a guest who cancels after the host declined to move the stay for
-- a moved rotation is refunded everything) holds only for a stay booked for a rotation that
-- matching said moved (events.matching.rotation.moved), and only for a request to move it
-- to exactly the rotation's new dates. Listings keeps what matching last said of each such
-- stay here, apart from the booking's row: a projection, so it bumps no booking version.
CREATE TABLE rotation_moves (
    booking_id   uuid PRIMARY KEY REFERENCES bookings (id),
    rotation_id  uuid NOT NULL,
    -- The rotation's dates after the move: the stay's dates a shift must ask for.
    stay         daterange NOT NULL CHECK (NOT isempty(stay)),
    -- The event's time: an older event (a redelivery, a replay) changes nothing.
    moved_at     timestamptz NOT NULL
);

-- The host declined to move the stay to the dates its rotation moved to: the guest may
-- cancel without fault (the booking then ends 'shift_declined') until the stay moves. Later
-- requests for other dates, declined or withdrawn, do not take that back.
ALTER TABLE bookings ADD COLUMN rotation_shift_declined boolean NOT NULL DEFAULT false;
-- Shifts declined before this were all told "you may cancel without fault": those of
-- stays booked for a rotation keep that word; the others (no rotation) were never protected.
UPDATE bookings SET rotation_shift_declined = true
    WHERE shift_status = 'declined' AND rotation_id IS NOT NULL;
